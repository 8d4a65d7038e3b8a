# METADATA
# title: "files"
# custom:
#   policy: "files"
#   source: "files.regate:1:1"
package regate.policies.files

# METADATA
# title: "root_login"
# custom:
#   id: "root_login"
#   action: "stop"
#   source: "files.regate:2:3"
root_login contains hit if {
	key := "/etc/ssh/sshd_config"
	f := input.files[key]
	f.path == "/etc/ssh/sshd_config"
	regex.match("(?m)^\\s*PermitRootLogin\\s+yes", f.contents)
	hit := [
		key,
		"sshd permits root login",
	]
}

# METADATA
# title: "world_writable_config"
# custom:
#   id: "world_writable_config"
#   action: "warn"
#   source: "files.regate:7:3"
world_writable_config contains hit if {
	some key in {"/etc/passwd", "/etc/shadow"}
	f := input.files[key]
	f.path in {"/etc/passwd", "/etc/shadow"}
	is_number(f.mode)
	f.mode >= 438
	typed_message := [sprintf("%s mode %s", [f.path, format_int(f.mode, 10)]) | is_string(f.path); f.mode == floor(f.mode)]
	hit := [
		key,
		array.concat(typed_message, [_world_writable_config_message(f) | typed_message == []])[0],
	]
}

_world_writable_config_message(f) := message if {
	message := sprintf("%s mode %s", [data.regate.lib.text.str(object.get({"f": f}, ["f", "path"], null)), data.regate.lib.text.str(object.get({"f": f}, ["f", "mode"], null))])
} else := "{f.path} mode {f.mode}"

# METADATA
# title: "setuid"
# custom:
#   id: "setuid"
#   action: "stop"
#   source: "files.regate:12:3"
setuid contains hit if {
	is_object(input.files)
	some key, f in input.files
	f.setuid == true
	not _setuid_1(f)
	typed_message := [sprintf("%s is setuid", [f.path]) | is_string(f.path)]
	hit := [
		key,
		array.concat(typed_message, [_setuid_message(f) | typed_message == []])[0],
	]
}

_setuid_1(f) if {
	glob.match("/usr/bin/{su,sudo,passwd}", ["/"], f.path)
}

_setuid_message(f) := message if {
	message := sprintf("%s is setuid", [data.regate.lib.text.str(object.get({"f": f}, ["f", "path"], null))])
} else := "{f.path} is setuid"

# METADATA
# title: "uid0"
# custom:
#   id: "uid0"
#   action: "stop"
#   source: "files.regate:17:3"
uid0 contains hit if {
	is_object(input.users)
	some key, u in input.users
	u.uid == 0
	u.name != "root"
	typed_message := [sprintf("%s has uid 0", [u.name]) | is_string(u.name)]
	hit := [
		key,
		array.concat(typed_message, [_uid0_message(u) | typed_message == []])[0],
	]
}

_uid0_message(u) := message if {
	message := sprintf("%s has uid 0", [data.regate.lib.text.str(object.get({"u": u}, ["u", "name"], null))])
} else := "{u.name} has uid 0"

# METADATA
# title: "secret"
# custom:
#   id: "secret"
#   action: "stop"
#   source: "files.regate:22:3"
secret contains hit if {
	is_object(input.secrets)
	some key, s in input.secrets
	s.kind in {"aws-access-key", "private-key"}
	typed_message := [sprintf("%s in %s:%s: %s", [s.kind, s.path, format_int(s.line, 10), s.match]) | is_string(s.kind); is_string(s.path); is_number(s.line); s.line == floor(s.line); is_string(s.match)]
	hit := [
		key,
		array.concat(typed_message, [_secret_message(s) | typed_message == []])[0],
	]
}

_secret_message(s) := message if {
	message := sprintf("%s in %s:%s: %s", [data.regate.lib.text.str(object.get({"s": s}, ["s", "kind"], null)), data.regate.lib.text.str(object.get({"s": s}, ["s", "path"], null)), data.regate.lib.text.str(object.get({"s": s}, ["s", "line"], null)), data.regate.lib.text.str(object.get({"s": s}, ["s", "match"], null))])
} else := "{s.kind} in {s.path}:{s.line}: {s.match}"

# METADATA
# title: "new_port"
# custom:
#   id: "new_port"
#   action: "warn"
#   source: "files.regate:27:3"
new_port contains hit if {
	is_array(input.changes)
	some position, c in input.changes
	key := data.regate.lib.values.element_key(c, "path", position)
	c.op == "add"
	glob.match("/image/exposed_ports/*", ["/"], c.path)
	typed_message := [sprintf("new exposed port %s", [c.path]) | is_string(c.path)]
	hit := [
		key,
		array.concat(typed_message, [_new_port_message(c) | typed_message == []])[0],
	]
}

_new_port_message(c) := message if {
	message := sprintf("new exposed port %s", [data.regate.lib.text.str(object.get({"c": c}, ["c", "path"], null))])
} else := "new exposed port {c.path}"

# METADATA
# title: Findings of every rule, by rule id
rules := {
	"root_login": root_login,
	"world_writable_config": world_writable_config,
	"setuid": setuid,
	"uid0": uid0,
	"secret": secret,
	"new_port": new_port,
}
