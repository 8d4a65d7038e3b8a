# METADATA
# title: Severity ordering
# description: Vulnerability severities in Anchore's order, unknown lowest.
package regate.lib.severity

# METADATA
# title: Rank of each severity
# description: unknown < negligible < low < medium < high < critical; compare ranks, not names.
rank := {
	"unknown": 0,
	"negligible": 1,
	"low": 2,
	"medium": 3,
	"high": 4,
	"critical": 5,
}
