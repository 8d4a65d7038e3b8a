# METADATA
# title: "anchore"
# custom:
#   policy: "anchore"
#   source: "imported.regate:2:1"
package regate.policies.anchore

# METADATA
# title: "Denied shell in /etc/passwd"
# custom:
#   id: "passwd_file_blacklist_shells"
#   action: "stop"
#   source: "imported.regate:3:3"
#   origin: "anchore:passwd_file:blacklist_shells:965d8d3f-6cf3-40fa-8ff2-a1abce360c6b"
passwd_file_blacklist_shells contains hit if {
	is_object(input.users)
	some key, u in input.users
	u.shell in {"/bin/zsh"}
	typed_message := [sprintf("Blacklisted shell '%s' found in image's /etc/passwd: pentry=%s (%s)", [u.shell, u.entry, data.regate.lib.text.str(crypto.md5(data.regate.lib.text.str(object.get({"u": u}, ["u", "entry"], null))))]) | is_string(u.shell); is_string(u.entry)]
	hit := [
		key,
		array.concat(typed_message, [_passwd_file_blacklist_shells_message(u) | typed_message == []])[0],
		{"allowlist:accepted/passwd_file_blacklist_shells#1" | crypto.md5(concat("", ["passwd_file", "blacklist_shells", u.entry])) == "0123456789abcdef0123456789abcdef"},
	]
}

_passwd_file_blacklist_shells_message(u) := message if {
	message := sprintf("Blacklisted shell '%s' found in image's /etc/passwd: pentry=%s (%s)", [data.regate.lib.text.str(object.get({"u": u}, ["u", "shell"], null)), data.regate.lib.text.str(object.get({"u": u}, ["u", "entry"], null)), data.regate.lib.text.str(crypto.md5(data.regate.lib.text.str(object.get({"u": u}, ["u", "entry"], null))))])
} else := "Blacklisted shell '{u.shell}' found in image's /etc/passwd: pentry={u.entry} ({md5(u.entry)})"

# METADATA
# title: Findings of every rule, by rule id
rules := {
	"passwd_file_blacklist_shells": passwd_file_blacklist_shells,
}
