# METADATA
# title: Named lists as sets
# description: Each list of the policy set as a set, built once per query, so membership is a lookup.
package regate.sets

denied_licenses := {x | some x in data.regate.lists.denied_licenses}

denied_packages := {x | some x in data.regate.lists.denied_packages}
