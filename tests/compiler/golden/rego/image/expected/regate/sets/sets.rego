# METADATA
# title: Named lists as sets
# description: Each list of the policy set as a set, built once per query, so membership is a lookup.
package regate.sets

allowed_ports := {x | some x in data.regate.lists.allowed_ports}
