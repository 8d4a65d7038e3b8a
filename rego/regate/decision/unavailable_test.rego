package regate.decision_test

import data.regate.decision

_reads(kinds, fields) := {
	"action": "STOP", "title": "t", "severity": null, "source": "p.regate:2:3",
	"reads": {"data": kinds, "fields": fields},
}

_read_config := object.union(_config, {"policies": {
	"prod": {"package": "prod", "title": "Prod", "source": "p.regate:1:1", "rules": {
		"denied": _reads(["packages"], []),
		"old": _reads(["vulnerabilities"], ["vulnerabilities.published"]),
		"root": _reads(["image_config"], []),
	}},
	"base": {"package": "base", "title": "Base", "source": "p.regate:9:1", "rules": {}},
}})

_covered(kinds, absent) := {kind: object.union({"sources": _sources(kind, kinds)}, object.get(absent, kind, {})) |
	some kind in ["packages", "vulnerabilities", "image_config", "files"]
}

_sources(kind, kinds) := [sprintf("x:%s", [kind])] if {
	kind in kinds
} else := []

_with(doc) := d if {
	d := decision.main with data.regate.config as _read_config
		with data.regate.policies as {"prod": {"rules": {}}, "base": {"rules": {}}}
		with input as object.union(_input("r/x:1"), doc)
}

test_success_unread_data_is_unavailable_never_a_pass if {
	d := _with({"coverage": _covered(["vulnerabilities", "image_config"], {"vulnerabilities": {"absent_fields": ["published"]}})})
	d.final_action == "GO"
	[[u.rule, u.missing] | some u in d.unavailable] == [
		["denied", ["packages"]],
		["old", ["vulnerabilities.published"]],
	]
	d.policies[0].unavailable == ["denied", "old"]
	d.coverage.packages.sources == []
}

test_success_lacking_kinds_sorted_then_fields if {
	config := object.union(_read_config, {"policies": {"prod": {"rules": {
		"denied": _reads(["vulnerabilities", "packages", "files"], ["vulnerabilities.published"]),
		"plain": {"action": "STOP", "title": "t", "severity": null, "source": "p.regate:3:3"}, # reads nothing
	}}}})
	d := decision.main with data.regate.config as config
		with data.regate.policies as {"prod": {"rules": {}}, "base": {"rules": {}}}
		with input as object.union(_input("r/x:1"), {"coverage": _covered(["vulnerabilities"], {"vulnerabilities": {"absent_fields": ["published"]}})})
	[[u.rule, u.missing] | some u in d.unavailable] == [
		["denied", ["files", "packages", "vulnerabilities.published"]],
		["old", ["vulnerabilities.published"]],
		["root", ["image_config"]],
	]
}

test_success_complete_coverage_leaves_nothing_unavailable if {
	d := _with({"coverage": _covered(["packages", "vulnerabilities", "image_config"], {})})
	d.unavailable == []
	d.errors == []
}

test_success_kind_left_out_of_coverage_is_unavailable if {
	d := _with({"coverage": {"vulnerabilities": {"sources": ["x"]}}})
	[u.rule | some u in d.unavailable] == ["denied", "root"]
}

test_success_document_without_coverage_is_taken_as_complete if {
	d := _with({})
	d.coverage == null
	d.unavailable == []
}

test_fail_required_data_missing_is_an_error if {
	d := _with({"coverage": _covered(["vulnerabilities"], {}), "require": ["vulnerabilities", "packages"]})
	d.final_action == "STOP"
	d.final_reason == "data_unavailable"
	d.errors == ["required data is unavailable: no source provided packages"]
	d.policies == []
}

test_fail_required_data_without_coverage_is_an_error if {
	d := _with({"require": ["packages"]})
	d.final_action == "STOP"
	startswith(d.errors[0], "required data cannot be confirmed")
}

test_success_required_data_present if {
	d := _with({"coverage": _covered(["packages"], {}), "require": ["packages"]})
	d.errors == []
	d.final_reason == "policy_evaluation"
}
