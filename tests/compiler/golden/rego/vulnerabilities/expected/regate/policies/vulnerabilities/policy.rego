# METADATA
# title: "Vulnerability gate"
# custom:
#   policy: "vulnerabilities"
#   source: "vulns.regate:1:1"
package regate.policies.vulnerabilities

# METADATA
# title: "Critical vulnerability with a fix"
# custom:
#   id: "critical_fixable"
#   action: "stop"
#   severity: "critical"
#   source: "vulns.regate:4:3"
critical_fixable contains hit if {
	is_object(input.vulnerabilities)
	some key, v in input.vulnerabilities
	v.severity == "critical"
	v.fix.available == true
	typed_message := [sprintf("%s in %s %s, fixed in %s", [v.id, v["package"].name, v["package"].version, concat(", ", v.fix.versions)]) | is_string(v.id); is_string(v["package"].name); is_string(v["package"].version); is_array(v.fix.versions)]
	hit := [
		key,
		array.concat(typed_message, [_critical_fixable_message(v) | typed_message == []])[0],
		union({{"policy:vulnerabilities/critical_fixable#1" | v.id == "CVE-2023-44487"}, {"policy:vulnerabilities/critical_fixable#2" | _critical_fixable_1(v)}}),
	]
}

_critical_fixable_message(v) := message if {
	message := sprintf("%s in %s %s, fixed in %s", [data.regate.lib.text.str(object.get({"v": v}, ["v", "id"], null)), data.regate.lib.text.str(object.get({"v": v}, ["v", "package", "name"], null)), data.regate.lib.text.str(object.get({"v": v}, ["v", "package", "version"], null)), data.regate.lib.text.str(object.get({"v": v}, ["v", "fix", "versions"], null))])
} else := "{v.id} in {v.package.name} {v.package.version}, fixed in {v.fix.versions}"

_critical_fixable_1(v) if {
	v["package"].name == "openssl"
	v["package"].version == "1.1.1n"
}

# METADATA
# title: "high_cvss"
# custom:
#   id: "high_cvss"
#   action: "warn"
#   source: "vulns.regate:13:3"
high_cvss contains hit if {
	is_object(input.vulnerabilities)
	some key, v in input.vulnerabilities
	_high_cvss_1(v)
	typed_message := [sprintf("%s has CVSS %s", [v.id, format_int(v.nvd_cvss.base, 10)]) | is_string(v.id); is_number(v.nvd_cvss.base); v.nvd_cvss.base == floor(v.nvd_cvss.base)]
	hit := [
		key,
		array.concat(typed_message, [_high_cvss_message(v) | typed_message == []])[0],
	]
}

_high_cvss_1(v) if {
	is_number(v.nvd_cvss.base)
	v.nvd_cvss.base >= 7.5
}

_high_cvss_1(v) if {
	is_number(v.vendor_cvss.base)
	v.vendor_cvss.base >= 9
}

_high_cvss_message(v) := message if {
	message := sprintf("%s has CVSS %s", [data.regate.lib.text.str(object.get({"v": v}, ["v", "id"], null)), data.regate.lib.text.str(object.get({"v": v}, ["v", "nvd_cvss", "base"], null))])
} else := "{v.id} has CVSS {v.nvd_cvss.base}"

# METADATA
# title: "stale_fix"
# custom:
#   id: "stale_fix"
#   action: "warn"
#   source: "vulns.regate:18:3"
stale_fix contains hit if {
	is_object(input.vulnerabilities)
	some key, v in input.vulnerabilities
	v.fix.available == true
	data.regate.lib.clock.days_since(v.published) > 30
	v.fix.state != "wont-fix"
	typed_message := [sprintf("%s has had a fix for %s days", [v.id, format_int(data.regate.lib.clock.days_since(v.published), 10)]) | is_string(v.id)]
	hit := [
		key,
		array.concat(typed_message, [_stale_fix_message(v) | typed_message == []])[0],
	]
}

_stale_fix_message(v) := message if {
	message := sprintf("%s has had a fix for %s days", [data.regate.lib.text.str(object.get({"v": v}, ["v", "id"], null)), data.regate.lib.text.str(data.regate.lib.clock.days_since_or_null(object.get({"v": v}, ["v", "published"], null)))])
} else := "{v.id} has had a fix for {days_since(v.published)} days"

# METADATA
# title: "os_only"
# custom:
#   id: "os_only"
#   action: "stop"
#   source: "vulns.regate:23:3"
os_only contains hit if {
	is_object(input.vulnerabilities)
	some key, v in input.vulnerabilities
	v["package"].os == true
	data.regate.lib.version.compare(object.get({"v": v}, ["v", "package", "type"], null), v["package"].version, "1.2.3") < 0
	v.kev == true
	typed_message := [sprintf("%s is known exploited", [v.id]) | is_string(v.id)]
	hit := [
		key,
		array.concat(typed_message, [_os_only_message(v) | typed_message == []])[0],
	]
}

_os_only_message(v) := message if {
	message := sprintf("%s is known exploited", [data.regate.lib.text.str(object.get({"v": v}, ["v", "id"], null))])
} else := "{v.id} is known exploited"

# METADATA
# title: Findings of every rule, by rule id
rules := {
	"critical_fixable": critical_fixable,
	"high_cvss": high_cvss,
	"stale_fix": stale_fix,
	"os_only": os_only,
}
