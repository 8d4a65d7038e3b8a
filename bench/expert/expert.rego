# The benchmark's rules as an experienced Rego author writes them by hand:
# sets for every membership test, one pass per collection, no helpers. The
# decision is the same document regate's `data.regate.decision.main` gives for
# a valid input (the benchmark asserts it), with each finding's metadata
# written into the policy as constants rather than read from data.
package expert

denied_packages := {
	"telnet", "rsh-server", "nmap", "netcat-traditional", "tcpdump", "gdb", "strace",
	"ltrace", "john", "hydra", "ettercap", "aircrack-ng", "sqlmap", "nikto", "wireshark",
}

allowed_ports := {80, 443, 8080, 8443}

denied_licenses := {"AGPL-3.0-only", "AGPL-3.0-or-later", "SSPL-1.0"}

secret_kinds := {"aws-access-key", "aws-secret-key", "private-key", "github-token"}

accepted_cves := {id | some id in data.accepted}

now := time.parse_rfc3339_ns(input.now)

_accepted := {
	"id": "policy:bench/critical_fixable#1",
	"until": null,
	"reason": null,
	"source": "bench.regate:36:3",
}

_exception(id) := _accepted if {
	id in accepted_cves
} else := null

# [rule, key, message, exception]: sorted like regate's findings.
findings_by_rule contains ["critical_fixable", key, msg, exception] if {
	some key, v in input.vulnerabilities
	v.severity == "critical"
	v.fix.available
	msg := sprintf("%s in %s %s, fixed in %s", [v.id, v["package"].name, v["package"].version, concat(", ", v.fix.versions)])
	exception := _exception(v.id)
}

findings_by_rule contains ["high_overdue", key, msg, null] if {
	some key, v in input.vulnerabilities
	v.severity == "high"
	v.fix.available
	days := floor((now - time.parse_rfc3339_ns(v.published)) / 86400000000000)
	days > 30
	msg := sprintf("%s in %s has had a fix for %d days", [v.id, v["package"].name, days])
}

findings_by_rule contains ["denied_package", key, msg, null] if {
	some key, p in input.packages
	p.name in denied_packages
	msg := sprintf("%s %s is denied", [p.name, p.version])
}

findings_by_rule contains ["denied_license", key, msg, null] if {
	some key, p in input.packages
	some license in p.licenses
	license in denied_licenses
	msg := sprintf("%s is licensed %s", [p.name, concat(", ", p.licenses)])
}

findings_by_rule contains ["exposed_port", key, msg, null] if {
	some key, p in input.image.exposed_ports
	not p.port in allowed_ports
	msg := sprintf("port %s is exposed", [p.spec])
}

findings_by_rule contains ["credential", key, msg, null] if {
	some key, s in input.secrets
	s.kind in secret_kinds
	msg := sprintf("%s in %s:%d", [s.kind, s.path, s.line])
}

_rules := {
	"critical_fixable": {"action": "STOP", "source": "bench.regate:12:3", "reads": ["vulnerabilities"]},
	"high_overdue": {"action": "WARN", "source": "bench.regate:16:3", "reads": ["vulnerabilities"]},
	"denied_package": {"action": "STOP", "source": "bench.regate:20:3", "reads": ["packages"]},
	"denied_license": {"action": "STOP", "source": "bench.regate:24:3", "reads": ["packages"]},
	"exposed_port": {"action": "WARN", "source": "bench.regate:28:3", "reads": ["image_config"]},
	"credential": {"action": "STOP", "source": "bench.regate:32:3", "reads": ["secrets"]},
}

findings := [{
	"policy": "bench",
	"rule": rule,
	"action": _rules[rule].action,
	"effective_action": effective,
	"message": msg,
	"key": key,
	"exception": exception,
	"expired_exceptions": [],
	"title": rule,
	"severity": null,
	"source": _rules[rule].source,
} |
	some [rule, key, msg, exception] in sort(findings_by_rule)
	effective := _effective(_rules[rule].action, exception)
]

_effective(_, exception) := "GO" if exception != null

_effective(action, null) := action

_tally := {action: count([1 | some f in findings; f.effective_action == action]) | some action in ["STOP", "WARN", "GO"]}

final_action := "STOP" if {
	_tally.STOP > 0
} else := "WARN" if {
	_tally.WARN > 0
} else := "GO"

coverage := object.get(input, "coverage", null)

unavailable := [{
	"policy": "bench",
	"rule": rule,
	"action": meta.action,
	"missing": missing,
	"title": rule,
	"source": meta.source,
} |
	some rule, meta in _rules
	coverage != null
	missing := [kind | some kind in meta.reads; count(object.get(coverage, [kind, "sources"], [])) == 0]
	count(missing) > 0
]

errors := [] if input.schema_version == 1

decision := {
	"version": 1,
	"final_action": final_action,
	"final_reason": "policy_evaluation",
	"image": {name: object.get(input.image, name, "") | some name in ["reference", "digest", "id"]},
	"image_rule": null,
	"mapping": null,
	"policies": [{
		"id": "bench",
		"title": "bench",
		"action": final_action,
		"findings": {"stop": _tally.STOP, "warn": _tally.WARN, "go": _tally.GO},
		"unavailable": [u.rule | some u in unavailable],
		"source": "bench.regate:11:1",
	}],
	"findings": findings,
	"coverage": coverage,
	"unavailable": unavailable,
	"errors": errors,
}
