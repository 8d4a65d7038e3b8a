# METADATA
# title: "drift"
# custom:
#   policy: "drift"
#   source: "drift.regate:3:1"
package regate.policies.drift

# METADATA
# title: "new_high"
# custom:
#   id: "new_high"
#   action: "stop"
#   source: "drift.regate:4:3"
new_high contains hit if {
	is_object(input.vulnerabilities)
	some key, v in input.vulnerabilities
	v.severity in {"high", "critical"}
	input.drift[concat(":", ["vulnerabilities", v.key])].op == "added"
	typed_message := [sprintf("%s introduced", [v.id]) | is_string(v.id)]
	hit := [
		key,
		array.concat(typed_message, [_new_high_message(v) | typed_message == []])[0],
		{"policy:drift/new_high#1" | not _new_high_1(v)},
	]
}

_new_high_message(v) := message if {
	message := sprintf("%s introduced", [data.regate.lib.text.str(object.get({"v": v}, ["v", "id"], null))])
} else := "{v.id} introduced"

_new_high_1(v) if {
	input.drift[concat(":", ["vulnerabilities", v.key])].op == "added"
}

# METADATA
# title: "setuid"
# custom:
#   id: "setuid"
#   action: "stop"
#   source: "drift.regate:8:3"
setuid contains hit if {
	is_object(input.files)
	some key, f in input.files
	f.setuid == true
	_setuid_1(f)
	typed_message := [sprintf("%s new=%s", [f.path, data.regate.lib.text.str(data.regate.lib.text.truth({true | input.drift[concat(":", ["files", f.path])].op == "added"}))]) | is_string(f.path)]
	hit := [
		key,
		array.concat(typed_message, [_setuid_message(f) | typed_message == []])[0],
	]
}

_setuid_1(f) if {
	input.drift[concat(":", ["files", f.path])].op == "added"
}

_setuid_1(f) if {
	f.uid == 0
}

_setuid_message(f) := message if {
	message := sprintf("%s new=%s", [data.regate.lib.text.str(object.get({"f": f}, ["f", "path"], null)), data.regate.lib.text.str(data.regate.lib.text.truth({true | input.drift[concat(":", ["files", f.path])].op == "added"}))])
} else := "{f.path} new={new(f)}"

# METADATA
# title: "many_new_packages"
# custom:
#   id: "many_new_packages"
#   action: "warn"
#   source: "drift.regate:12:3"
many_new_packages contains hit if {
	count({k | is_object(input.packages); some k, p in input.packages; input.drift[concat(":", ["packages", p.key])].op == "added"}) > 10
	hit := [
		"image",
		"many new packages",
	]
}

# METADATA
# title: "new_port"
# custom:
#   id: "new_port"
#   action: "stop"
#   source: "drift.regate:16:3"
new_port contains hit if {
	is_object(input.image.exposed_ports)
	some key, p in input.image.exposed_ports
	input.drift[concat(":", ["image.exposed_ports", p.spec])].op == "added"
	typed_message := [sprintf("%s", [p.spec]) | is_string(p.spec)]
	hit := [
		key,
		array.concat(typed_message, [_new_port_message(p) | typed_message == []])[0],
	]
}

_new_port_message(p) := message if {
	message := sprintf("%s", [data.regate.lib.text.str(object.get({"p": p}, ["p", "spec"], null))])
} else := "{p.spec}"

# METADATA
# title: "env_only"
# custom:
#   id: "env_only"
#   action: "warn"
#   source: "drift.regate:20:3"
env_only contains hit if {
	_env_only_1
	not _env_only_2
	hit := [
		"image",
		"environment changed, labels did not",
	]
}

_env_only_1 if {
	some e in input.image.env
	input.drift[concat(":", ["image.env", e.name])].op == "added"
	is_object(input.image.env)
}

_env_only_2 if {
	some l in input.image.labels
	input.drift[concat(":", ["image.labels", l.name])].op == "added"
	is_object(input.image.labels)
}

# METADATA
# title: "downgraded"
# custom:
#   id: "downgraded"
#   action: "warn"
#   source: "drift.regate:24:3"
downgraded contains hit if {
	is_object(input.drift)
	some key, d in input.drift
	d.collection == "packages"
	d.op == "downgraded"
	typed_message := [sprintf("%s from %s to %s", [d.element, data.regate.lib.text.str(object.get({"d": d}, ["d", "before"], null)), data.regate.lib.text.str(object.get({"d": d}, ["d", "after"], null))]) | is_string(d.element)]
	hit := [
		key,
		array.concat(typed_message, [_downgraded_message(d) | typed_message == []])[0],
	]
}

_downgraded_message(d) := message if {
	message := sprintf("%s from %s to %s", [data.regate.lib.text.str(object.get({"d": d}, ["d", "element"], null)), data.regate.lib.text.str(object.get({"d": d}, ["d", "before"], null)), data.regate.lib.text.str(object.get({"d": d}, ["d", "after"], null))])
} else := "{d.element} from {d.before} to {d.after}"

# METADATA
# title: Findings of every rule, by rule id
rules := {
	"new_high": new_high,
	"setuid": setuid,
	"many_new_packages": many_new_packages,
	"new_port": new_port,
	"env_only": env_only,
	"downgraded": downgraded,
}
