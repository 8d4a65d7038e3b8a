# METADATA
# title: "image"
# custom:
#   policy: "image"
#   source: "image.regate:5:1"
package regate.policies.image

# METADATA
# title: "root_user"
# custom:
#   id: "root_user"
#   action: "stop"
#   source: "image.regate:6:3"
root_user contains hit if {
	input.image.effective_user in {"root", "0"}
	typed_message := [sprintf("image runs as %s", [input.image.effective_user]) | is_string(input.image.effective_user)]
	hit := [
		"image",
		array.concat(typed_message, [_root_user_message | typed_message == []])[0],
	]
}

_root_user_message := message if {
	message := sprintf("image runs as %s", [data.regate.lib.text.str(object.get(input, ["image", "effective_user"], null))])
} else := "image runs as {image.effective_user}"

# METADATA
# title: "no_healthcheck"
# custom:
#   id: "no_healthcheck"
#   action: "warn"
#   source: "image.regate:11:3"
no_healthcheck contains hit if {
	not _no_healthcheck_1
	hit := [
		"image",
		"image has no healthcheck",
	]
}

_no_healthcheck_1 if {
	input.image.healthcheck != null
}

# METADATA
# title: "too_many_layers"
# custom:
#   id: "too_many_layers"
#   action: "warn"
#   source: "image.regate:16:3"
too_many_layers contains hit if {
	max_layers_param := data.regate.params.max_layers
	is_number(max_layers_param)
	data.regate.lib.text.size(object.get(input, ["image", "layers"], null)) > max_layers_param
	input.image.os == "linux"
	hit := [
		"image",
		_too_many_layers_message,
	]
}

_too_many_layers_message := message if {
	message := sprintf("%s layers", [data.regate.lib.text.str(data.regate.lib.text.size(object.get(input, ["image", "layers"], null)))])
} else := "{count(image.layers)} layers"

# METADATA
# title: "ports"
# custom:
#   id: "ports"
#   action: "warn"
#   source: "image.regate:21:3"
ports contains hit if {
	is_object(input.image.exposed_ports)
	input.image.exposed_ports != {}
	allowed_ports_set := data.regate.sets.allowed_ports
	some key, p in input.image.exposed_ports
	_ = p.port
	not p.port in allowed_ports_set
	typed_message := [sprintf("port %s is exposed", [p.spec]) | is_string(p.spec)]
	hit := [
		key,
		array.concat(typed_message, [_ports_message(p) | typed_message == []])[0],
	]
}

_ports_message(p) := message if {
	message := sprintf("port %s is exposed", [data.regate.lib.text.str(object.get({"p": p}, ["p", "spec"], null))])
} else := "port {p.spec} is exposed"

# METADATA
# title: "debug_env"
# custom:
#   id: "debug_env"
#   action: "stop"
#   source: "image.regate:26:3"
debug_env contains hit if {
	_debug_env_2
	hit := [
		"image",
		"debug image",
	]
}

_debug_env_1 if {
	is_number(input.image.size)
	input.image.size < 1000000000
}

_debug_env_2 if {
	input.image.env.DEBUG.value == "1"
}

_debug_env_2 if {
	not _debug_env_1
}

# METADATA
# title: "all_layers_small"
# custom:
#   id: "all_layers_small"
#   action: "warn"
#   source: "image.regate:31:3"
all_layers_small contains hit if {
	_all_layers_small_2
	hit := [
		"image",
		"a layer is over 500 MB",
	]
}

_all_layers_small_1(l) if {
	is_number(l.size)
	l.size < 500000000
}

_all_layers_small_2 if {
	some l in input.image.layers
	not _all_layers_small_1(l)
	is_array(input.image.layers)
}

# METADATA
# title: "many_high"
# custom:
#   id: "many_high"
#   action: "warn"
#   source: "image.regate:36:3"
many_high contains hit if {
	count({k | is_object(input.vulnerabilities); some k, v in input.vulnerabilities; _many_high_1(v)}) >= 5
	hit := [
		"image",
		_many_high_message,
	]
}

_many_high_1(v) if {
	v.severity == "high"
	v.fix.available == true
}

_many_high_message := message if {
	message := sprintf("%s fixable high", [data.regate.lib.text.str(count({k | is_object(input.vulnerabilities); some k, v in input.vulnerabilities; _many_high_1(v)}))])
} else := "{count(v in vulnerabilities where v.severity == high and v.fix.available)} fixable high"

# METADATA
# title: "constant_branch"
# custom:
#   id: "constant_branch"
#   action: "go"
#   source: "image.regate:43:3"
constant_branch contains hit if {
	_constant_branch_1
	hit := [
		"image",
		_constant_branch_message,
	]
}

_constant_branch_1 if {
	input.image.os == "linux"
}

_constant_branch_1 := true

_constant_branch_message := message if {
	message := sprintf("%s", [data.regate.lib.text.str(data.regate.lib.text.truth({true | input.image.os == "a{b}"}))])
} else := "{image.os == \"a{b}\"}"

# METADATA
# title: "repeated_items"
# custom:
#   id: "repeated_items"
#   action: "go"
#   source: "image.regate:49:3"
repeated_items contains hit if {
	_ = input.image.user
	not input.image.user in {"root", "admin"}
	typed_message := [sprintf("user %s", [input.image.user]) | is_string(input.image.user)]
	hit := [
		"image",
		array.concat(typed_message, [_repeated_items_message | typed_message == []])[0],
	]
}

_repeated_items_message := message if {
	message := sprintf("user %s", [data.regate.lib.text.str(object.get(input, ["image", "user"], null))])
} else := "user {image.user}"

# METADATA
# title: Findings of every rule, by rule id
rules := {
	"root_user": root_user,
	"no_healthcheck": no_healthcheck,
	"too_many_layers": too_many_layers,
	"ports": ports,
	"debug_env": debug_env,
	"all_layers_small": all_layers_small,
	"many_high": many_high,
	"constant_branch": constant_branch,
	"repeated_items": repeated_items,
}
