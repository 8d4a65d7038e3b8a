package regate.decision_test

import data.regate.decision

_input(reference) := {
	"schema_version": 1,
	"image": {"reference": reference, "digest": "", "id": ""},
	"packages": {}, "vulnerabilities": {}, "files": {}, "secrets": {}, "users": {}, "changes": [],
	"now": "2026-01-01T00:00:00Z",
}

_rule(action) := {"action": action, "title": "t", "severity": null, "source": "p.regate:1:1"}

_config := {
	"policies": {
		"prod": {"package": "prod", "title": "Prod", "source": "p.regate:1:1", "rules": {
			"crit": _rule("STOP"),
			"ports": _rule("WARN"),
		}},
		"base": {"package": "base", "title": "Base", "source": "p.regate:9:1", "rules": {"info": _rule("GO")}},
	},
	"policy_order": ["prod", "base"],
	"mappings": [],
	"allowlists": ["global"],
	"images": {"allow": [], "deny": []},
	"exceptions": {
		"policy:prod/crit#1": {
			"rule": "crit", "policy": "prod", "allowlist": null, "until": "2026-06-30",
			"until_ns": 1782864000000000000, "reason": "mitigated", "source": "p.regate:5:3",
		},
		"policy:prod/crit#2": {
			"rule": "crit", "policy": "prod", "allowlist": null, "until": "2025-01-01",
			"until_ns": 1735776000000000000, "reason": "old", "source": "p.regate:6:3",
		},
		"allowlist:global/ports#1": {
			"rule": "ports", "policy": null, "allowlist": "global", "until": null,
			"until_ns": null, "reason": null, "source": "p.regate:20:3",
		},
	},
}

_hits := {
	"prod": {"rules": {
		"crit": {
			["CVE-1+a", "CVE-1 in a", set()],
			["CVE-2+b", "CVE-2 in b", {"policy:prod/crit#1"}],
			["CVE-3+c", "CVE-3 in c", {"policy:prod/crit#2"}],
		},
		"ports": {["8080/tcp", "port 8080", {"allowlist:global/ports#1"}]},
	}},
	"base": {"rules": {"info": {["image", "fyi"]}}},
}

_decide(config, reference) := d if {
	d := decision.main with data.regate.config as config
		with data.regate.policies as _hits
		with input as _input(reference)
}

test_success_worst_finding_wins if {
	d := _decide(_config, "r/x:1")
	d.final_action == "STOP"
	d.final_reason == "policy_evaluation"
	[p.action | some p in d.policies] == ["STOP", "GO"]
	count(d.findings) == 5
}

test_success_exception_turns_finding_go_but_keeps_it if {
	d := _decide(_config, "r/x:1")
	some f in d.findings
	f.key == "CVE-2+b"
	f.action == "STOP"
	f.effective_action == "GO"
	f.exception.id == "policy:prod/crit#1"
	f.exception.until == "2026-06-30"
}

test_fail_expired_exception_does_not_apply if {
	d := _decide(_config, "r/x:1")
	some f in d.findings
	f.key == "CVE-3+c"
	f.effective_action == "STOP"
	f.exception == null
	f.expired_exceptions == ["policy:prod/crit#2"]
}

test_success_allowlists_apply_without_mappings if {
	d := _decide(_config, "r/x:1")
	some f in d.findings
	f.key == "8080/tcp"
	f.effective_action == "GO"
}

_mapped := object.union(_config, {"mappings": [
	{"id": "prod", "images": ["registry.example.com/prod/*"], "policies": ["prod"], "allowlists": [], "source": "m:1:1"},
	{"id": "all", "images": ["*"], "policies": ["base"], "allowlists": ["global"], "source": "m:5:1"},
]})

test_success_first_matching_mapping_wins if {
	d := _decide(_mapped, "registry.example.com/prod/api:1")
	d.mapping == "prod"
	[p.id | some p in d.policies] == ["prod"]
	d.final_action == "STOP"
}

test_fail_allowlist_not_in_mapping_does_not_apply if {
	d := _decide(_mapped, "registry.example.com/prod/api:1")
	some f in d.findings
	f.key == "8080/tcp"
	f.effective_action == "WARN"
}

test_success_later_mapping if {
	d := _decide(_mapped, "docker.io/library/nginx:1")
	d.mapping == "all"
	d.final_action == "GO"
	count(d.findings) == 1
}

_only_prod := object.union(_mapped, {"mappings": [_mapped.mappings[0]]})

test_fail_no_mapping_without_declaration_is_an_error if {
	d := _decide(_only_prod, "docker.io/library/nginx:1")
	d.final_action == "STOP"
	d.final_reason == "no_mapping"
	d.findings == []
	d.errors == [concat("", [
		"no mapping matches image docker.io/library/nginx:1; mappings tried: prod (images registry.example.com/prod/*). ",
		"Name the image (--name REF) or declare `unmatched go|warn|stop`",
	])]
}

test_fail_image_without_any_name_is_an_error if {
	d := _decide(_only_prod, "")
	d.final_action == "STOP"
	contains(d.errors[0], "no mapping matches image without a reference, digest or id;")
}

test_success_declared_unmatched_action_applies if {
	some action in ["GO", "WARN", "STOP"]
	d := _decide(object.union(_only_prod, {"unmatched": action}), "docker.io/library/nginx:1")
	d.final_action == action
	d.final_reason == "no_mapping"
	d.errors == []
}

test_success_image_list_decides_before_mappings if {
	listed := object.union(_only_prod, {"images": {"allow": [{"pattern": "*", "reason": null, "source": "i:1:1"}], "deny": []}})
	d := _decide(listed, "docker.io/library/nginx:1")
	d.final_action == "GO"
	d.errors == []
}

_listed := object.union(_config, {"images": {
	"allow": [{"pattern": "registry.example.com/golden/*", "reason": "golden", "source": "i:1:1"}],
	"deny": [{"pattern": "*:latest", "reason": "no latest", "source": "i:2:1"}],
}})

test_success_denylisted_image_is_stop if {
	d := _decide(_listed, "docker.io/library/nginx:latest")
	d.final_action == "STOP"
	d.final_reason == "denylisted"
	d.image_rule.reason == "no latest"
}

test_success_allowlisted_image_is_go if {
	d := _decide(_listed, "registry.example.com/golden/base:1")
	d.final_action == "GO"
	d.final_reason == "allowlisted"
}

test_success_deny_beats_allow if {
	d := _decide(_listed, "registry.example.com/golden/base:latest")
	d.final_action == "STOP"
}

test_fail_invalid_input_is_never_a_pass if {
	d := decision.main with data.regate.config as _config
		with data.regate.policies as _hits
		with input as {"image": {}}
	d.final_action == "STOP"
	d.final_reason == "invalid_input"
	"input.schema_version is missing" in d.errors
}

test_fail_non_object_input_is_never_a_pass if {
	d := decision.main with data.regate.config as _config
		with data.regate.policies as _hits
		with input as [1, 2]
	d.final_action == "STOP"
	d.errors == ["the input is not a JSON object"]
}

test_success_final_action_is_the_worst_policy_action if {
	warn_only := {"prod": {"rules": {"crit": set(), "ports": {["8080/tcp", "port 8080", set()]}}}, "base": {"rules": {"info": {["image", "fyi"]}}}}
	d := decision.main with data.regate.config as _config
		with data.regate.policies as warn_only
		with input as _input("r/x:1")
	[p.action | some p in d.policies] == ["WARN", "GO"]
	d.final_action == "WARN"
	nothing := {"prod": {"rules": {"crit": set(), "ports": set()}}, "base": {"rules": {"info": set()}}}
	g := decision.main with data.regate.config as _config
		with data.regate.policies as nothing
		with input as _input("r/x:1")
	g.final_action == "GO"
}

test_fail_a_collection_of_the_wrong_shape_is_invalid_input if {
	doc := {
		"schema_version": 1, "image": {}, "packages": [{"name": "telnet"}], "vulnerabilities": {}, "files": {},
		"secrets": {}, "users": {}, "changes": {},
	}
	d := decision.main with data.regate.config as _config
		with data.regate.policies as _hits
		with input as doc
	d.final_action == "STOP"
	d.final_reason == "invalid_input"
	"input.packages is array, not object" in d.errors
	"input.changes is object, not array" in d.errors
}

# Counts are taken per rule (see _counted); a rule whose hits were of mixed shapes
# must still have each of them counted, whichever shape sorts first.
_mixed(crit) := d if {
	d := decision.main with data.regate.config as _config
		with data.regate.policies as {"prod": {"rules": {"crit": crit, "ports": set()}}, "base": {"rules": {"info": set()}}}
		with input as _input("registry.example/app:1")
}

test_fail_hits_of_mixed_shapes_are_all_counted if {
	ids_first := _mixed({["CVE-1+a", "CVE-1 in a", {"policy:prod/crit#1"}], ["CVE-2+b", "CVE-2 in b"]})
	ids_first.policies[0].findings == {"stop": 1, "warn": 0, "go": 1}
	ids_first.final_action == "STOP"
	plain_first := _mixed({["CVE-0+a", "CVE-0 in a"], ["CVE-1+a", "CVE-1 in a", {"policy:prod/crit#1"}]})
	sum([n | some n in plain_first.policies[0].findings]) == count(plain_first.findings)
	plain_first.final_action == "STOP"
}
