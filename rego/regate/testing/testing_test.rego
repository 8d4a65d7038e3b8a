package regate.testing_test

import data.regate.testing

_config := {"policies": {
	"prod": {"rules": {"crit": {}, "ports": {}}},
	"dev": {"rules": {"crit": {}}},
}}

_decision := {
	"final_action": "STOP",
	"final_reason": "policy_evaluation",
	"policies": [{"id": "prod"}],
	"findings": [
		{"policy": "prod", "rule": "crit", "key": "CVE-1+a", "message": "CVE-1 in a", "effective_action": "STOP", "exception": null},
		{
			"policy": "prod", "rule": "crit", "key": "CVE-2+b", "message": "CVE-2 in b", "effective_action": "GO",
			"exception": {"id": "policy:prod/crit#1"},
		},
	],
}

_none := {"path": ["expect"], "action": null, "reason": null, "rules": [], "counts": [], "findings": [], "exceptions": []}

_expect(fields) := object.union(_none, fields)

_failures(fields) := f if {
	f := testing.failures(_decision, _expect(fields)) with data.regate.config as _config
}

test_success_statuses if {
	testing.status(_decision, "crit", null) == "FAIL" with data.regate.config as _config
	testing.status(_decision, "ports", null) == "PASS" with data.regate.config as _config
	testing.status(_decision, "crit", "dev") == "SKIP" with data.regate.config as _config
}

test_success_rule_without_its_data_is_unavailable_not_pass if {
	decision := object.union(_decision, {"unavailable": [{"policy": "prod", "rule": "ports", "missing": ["image_config"]}]})
	testing.status(decision, "ports", null) == "UNAVAILABLE" with data.regate.config as _config
	testing.status(decision, "crit", null) == "FAIL" with data.regate.config as _config
}

test_success_matching_expectations_have_no_failures if {
	fields := {
		"action": "STOP",
		"reason": "policy_evaluation",
		"rules": [{"rule": "crit", "policy": null, "status": "FAIL", "path": ["expect", "rules", "crit"]}],
		"counts": [{"rule": "crit", "policy": null, "count": 2, "path": ["expect", "counts", "crit"]}],
		"findings": [{
			"rule": "crit", "policy": null, "key": null, "message": null,
			"matches": "^CVE-2 ", "action": "GO", "path": ["expect", "findings", 0],
		}],
		"exceptions": [{"rule": "crit", "policy": null, "id": "policy:prod/crit#1", "key": "CVE-2+b", "path": ["expect", "exceptions", 0]}],
	}
	_failures(fields) == []
}

test_fail_wrong_action_is_reported if {
	_failures({"action": "GO"}) == [{"path": ["expect", "action"], "expected": "GO", "actual": "STOP"}]
}

test_fail_wrong_status_lists_the_findings if {
	[f] := _failures({"rules": [{"rule": "crit", "policy": null, "status": "PASS", "path": ["p"]}]})
	f.actual == "FAIL"
	f.findings == ["CVE-1 in a", "CVE-2 in b"]
}

test_fail_wrong_count if {
	[f] := _failures({"counts": [{"rule": "crit", "policy": null, "count": 1, "path": ["p"]}]})
	f.actual == 2
}

test_fail_missing_finding if {
	expected := {"rule": "crit", "policy": null, "key": null, "message": "CVE-3 in c", "matches": null, "action": null, "path": ["p"]}
	[f] := _failures({"findings": [expected]})
	count(f.actual) == 2
}

test_fail_missing_exception if {
	[f] := _failures({"exceptions": [{"rule": "crit", "policy": null, "id": "policy:prod/crit#9", "key": null, "path": ["p"]}]})
	f.actual[1].exception.id == "policy:prod/crit#1"
}
