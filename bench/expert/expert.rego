# The benchmark's rules as an experienced Rego author writes them by hand:
# sets for every membership test, one pass per collection, no helpers.
package expert

denied_packages := {"telnet", "rsh-server", "nmap", "netcat-traditional", "tcpdump", "gdb", "strace",
	"ltrace", "john", "hydra", "ettercap", "aircrack-ng", "sqlmap", "nikto", "wireshark"}

allowed_ports := {80, 443, 8080, 8443}

denied_licenses := {"AGPL-3.0-only", "AGPL-3.0-or-later", "SSPL-1.0"}

secret_kinds := {"aws-access-key", "aws-secret-key", "private-key", "github-token"}

accepted_cves := {id | some id in data.accepted}

now := time.parse_rfc3339_ns(input.now)

findings contains {"rule": "critical_fixable", "key": key, "excepted": v.id in accepted_cves, "message": msg} if {
	some key, v in input.vulnerabilities
	v.severity == "critical"
	v.fix.available
	msg := sprintf("%s in %s %s, fixed in %s", [v.id, v["package"].name, v["package"].version, concat(", ", v.fix.versions)])
}

findings contains {"rule": "high_overdue", "key": key, "excepted": false, "message": msg} if {
	some key, v in input.vulnerabilities
	v.severity == "high"
	v.fix.available
	days := floor((now - time.parse_rfc3339_ns(v.published)) / 86400000000000)
	days > 30
	msg := sprintf("%s in %s has had a fix for %d days", [v.id, v["package"].name, days])
}

findings contains {"rule": "denied_package", "key": key, "excepted": false, "message": msg} if {
	some key, p in input.packages
	p.name in denied_packages
	msg := sprintf("%s %s is denied", [p.name, p.version])
}

findings contains {"rule": "denied_license", "key": key, "excepted": false, "message": msg} if {
	some key, p in input.packages
	some license in p.licenses
	license in denied_licenses
	msg := sprintf("%s is licensed %s", [p.name, concat(", ", p.licenses)])
}

findings contains {"rule": "exposed_port", "key": key, "excepted": false, "message": msg} if {
	some key, p in input.image.exposed_ports
	not p.port in allowed_ports
	msg := sprintf("port %s is exposed", [p.spec])
}

findings contains {"rule": "credential", "key": key, "excepted": false, "message": msg} if {
	some key, s in input.secrets
	s.kind in secret_kinds
	msg := sprintf("%s in %s:%d", [s.kind, s.path, s.line])
}

_rank := {"GO": 0, "WARN": 1, "STOP": 2}

_action := {"critical_fixable": "STOP", "high_overdue": "WARN", "denied_package": "STOP",
	"denied_license": "STOP", "exposed_port": "WARN", "credential": "STOP"}

final_action := "STOP" if {
	some f in findings
	not f.excepted
	_action[f.rule] == "STOP"
} else := "WARN" if {
	some f in findings
	_action[f.rule] == "WARN"
} else := "GO"

decision := {"final_action": final_action, "findings": sort([f | some f in findings])}
