# METADATA
# title: "ports"
# custom:
#   policy: "ports"
#   source: "imported.regate:16:1"
package regate.policies.ports

# METADATA
# title: "Exposed port denied"
# custom:
#   id: "dockerfile_exposed_ports"
#   action: "stop"
#   source: "imported.regate:17:3"
#   origin: "anchore:dockerfile:exposed_ports:ce7b8000-829b-4c27-8122-69cd59018400"
dockerfile_exposed_ports contains hit if {
	is_object(input.image.exposed_ports)
	some key, p in input.image.exposed_ports
	p.port in {22}
	typed_message := [sprintf("Dockerfile exposes port (%s) which is in policy file DENIEDPORTS list (%s)", [format_int(p.port, 10), data.regate.lib.text.str(data.regate.lib.text.str(object.get({"p": p}, ["p", "port"], null)))]) | is_number(p.port); p.port == floor(p.port)]
	hit := [
		key,
		array.concat(typed_message, [_dockerfile_exposed_ports_message(p) | typed_message == []])[0],
		{"allowlist:ports accepted/dockerfile_exposed_ports#1" | crypto.md5(concat("", ["dockerfileexposed_portsDockerfile exposes port (", data.regate.lib.text.str(p.port), ") which is in policy file DENIEDPORTS list"])) == "0123456789abcdef0123456789abcdef"},
	]
}

_dockerfile_exposed_ports_message(p) := message if {
	message := sprintf("Dockerfile exposes port (%s) which is in policy file DENIEDPORTS list (%s)", [data.regate.lib.text.str(object.get({"p": p}, ["p", "port"], null)), data.regate.lib.text.str(data.regate.lib.text.str(object.get({"p": p}, ["p", "port"], null)))])
} else := "Dockerfile exposes port ({p.port}) which is in policy file DENIEDPORTS list ({string(p.port)})"

# METADATA
# title: Findings of every rule, by rule id
rules := {
	"dockerfile_exposed_ports": dockerfile_exposed_ports,
}
