# METADATA
# title: "strict"
# custom:
#   policy: "strict"
#   source: "bundle.regate:1:1"
package regate.policies.strict

# METADATA
# title: "critical"
# custom:
#   id: "critical"
#   action: "stop"
#   source: "bundle.regate:2:3"
critical contains hit if {
	is_object(input.vulnerabilities)
	some key, v in input.vulnerabilities
	v.severity == "critical"
	typed_message := [sprintf("%s", [v.id]) | is_string(v.id)]
	hit := [
		key,
		array.concat(typed_message, [_critical_message(v) | typed_message == []])[0],
		{"allowlist:accepted/critical#1" | v.id in {"CVE-2020-1", "CVE-2020-2"}},
	]
}

_critical_message(v) := message if {
	message := sprintf("%s", [data.regate.lib.text.str(object.get({"v": v}, ["v", "id"], null))])
} else := "{v.id}"

# METADATA
# title: Findings of every rule, by rule id
rules := {
	"critical": critical,
}
