# METADATA
# title: "packages"
# custom:
#   policy: "packages"
#   source: "packages.regate:3:1"
package regate.policies.packages

# METADATA
# title: "Denied package"
# custom:
#   id: "denied"
#   action: "stop"
#   source: "packages.regate:4:3"
denied contains hit if {
	is_object(input.packages)
	input.packages != {}
	denied_packages_set := data.regate.sets.denied_packages
	some key, p in input.packages
	p.name in denied_packages_set
	typed_message := [sprintf("%s %s is denied", [p.name, p.version]) | is_string(p.name); is_string(p.version)]
	hit := [
		key,
		array.concat(typed_message, [_denied_message(p) | typed_message == []])[0],
	]
}

_denied_message(p) := message if {
	message := sprintf("%s %s is denied", [data.regate.lib.text.str(object.get({"p": p}, ["p", "name"], null)), data.regate.lib.text.str(object.get({"p": p}, ["p", "version"], null))])
} else := "{p.name} {p.version} is denied"

# METADATA
# title: "Tools that should not ship"
# custom:
#   id: "denied_inline"
#   action: "warn"
#   source: "packages.regate:6:3"
denied_inline contains hit if {
	is_object(input.packages)
	some key, p in input.packages
	p.name in {"netcat", "nmap"}
	typed_message := [sprintf("%s %s is denied", [p.name, p.version]) | is_string(p.name); is_string(p.version)]
	hit := [
		key,
		array.concat(typed_message, [_denied_inline_message(p) | typed_message == []])[0],
	]
}

_denied_inline_message(p) := message if {
	message := sprintf("%s %s is denied", [data.regate.lib.text.str(object.get({"p": p}, ["p", "name"], null)), data.regate.lib.text.str(object.get({"p": p}, ["p", "version"], null))])
} else := "{p.name} {p.version} is denied"

# METADATA
# title: "outdated"
# custom:
#   id: "outdated"
#   action: "stop"
#   source: "packages.regate:10:3"
outdated contains hit if {
	is_object(input.packages)
	input.packages != {}
	minimum_versions_param := data.regate.params.minimum_versions
	some key, p in input.packages
	is_object(minimum_versions_param)
	data.regate.lib.values.member(p.name, minimum_versions_param)
	data.regate.lib.version.compare(object.get({"p": p}, ["p", "type"], null), p.version, minimum_versions_param[p.name]) < 0
	typed_message := [sprintf("%s %s is older than %s", [p.name, p.version, data.regate.lib.text.str(object.get({"minimum_versions": minimum_versions_param}, ["minimum_versions", object.get({"p": p}, ["p", "name"], null)], null))]) | is_string(p.name); is_string(p.version)]
	hit := [
		key,
		array.concat(typed_message, [_outdated_message(p) | typed_message == []])[0],
	]
}

_outdated_message(p) := message if {
	message := sprintf("%s %s is older than %s", [data.regate.lib.text.str(object.get({"p": p}, ["p", "name"], null)), data.regate.lib.text.str(object.get({"p": p}, ["p", "version"], null)), data.regate.lib.text.str(object.get({"minimum_versions": data.regate.params.minimum_versions}, ["minimum_versions", object.get({"p": p}, ["p", "name"], null)], null))])
} else := "{p.name} {p.version} is older than {minimum_versions[p.name]}"

# METADATA
# title: "license"
# custom:
#   id: "license"
#   action: "stop"
#   source: "packages.regate:15:3"
license contains hit if {
	is_object(input.packages)
	some key, p in input.packages
	some l in p.licenses
	_license_1(p, l)
	is_array(p.licenses)
	typed_message := [sprintf("%s is licensed %s", [p.name, concat(", ", p.licenses)]) | is_string(p.name)]
	hit := [
		key,
		array.concat(typed_message, [_license_message(p) | typed_message == []])[0],
	]
}

_license_1(_, l) if {
	l in data.regate.sets.denied_licenses
}

_license_1(_, l) if {
	glob.match("GPL-3*", ["/"], l)
}

_license_message(p) := message if {
	message := sprintf("%s is licensed %s", [data.regate.lib.text.str(object.get({"p": p}, ["p", "name"], null)), data.regate.lib.text.str(object.get({"p": p}, ["p", "licenses"], null))])
} else := "{p.name} is licensed {p.licenses}"

# METADATA
# title: Findings of every rule, by rule id
rules := {
	"denied": denied,
	"denied_inline": denied_inline,
	"outdated": outdated,
	"license": license,
}
