# METADATA
# title: "baseline"
# custom:
#   policy: "baseline"
#   source: "bundle.regate:8:1"
package regate.policies.baseline

# METADATA
# title: "root"
# custom:
#   id: "root"
#   action: "warn"
#   source: "bundle.regate:9:3"
root contains hit if {
	input.image.effective_user == "root"
	hit := [
		"image",
		"runs as root",
		{"allowlist:accepted/root#1"},
	]
}

# METADATA
# title: Findings of every rule, by rule id
rules := {
	"root": root,
}
