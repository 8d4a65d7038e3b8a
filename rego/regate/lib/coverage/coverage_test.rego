package regate.lib.coverage_test

import data.regate.lib.coverage

_doc := {"coverage": {
	"packages": {"sources": []},
	"vulnerabilities": {"sources": ["grype-json:g.json"], "absent_fields": ["modified", "published"]},
}}

_rule(kinds, fields) := {"reads": {"data": kinds, "fields": fields}}

test_success_missing_kinds_then_fields if {
	rule := _rule(["vulnerabilities", "packages", "files"], ["vulnerabilities.published"])
	coverage.missing(rule) == ["files", "packages", "vulnerabilities.published"] with input as _doc
}

test_success_provided_data_is_not_missing if {
	coverage.missing(_rule(["vulnerabilities"], ["vulnerabilities.epss"])) == [] with input as _doc
}

test_success_without_coverage_nothing_is_missing if {
	coverage.missing(_rule(["packages"], [])) == [] with input as {}
	coverage.stated == null with input as {}
	coverage.stated == null with input as [1]
}

test_success_rules_without_reads_read_nothing if {
	coverage.missing({}) == [] with input as _doc
}

test_fail_required_kinds_that_are_missing if {
	problems := coverage.required_problems with input as object.union(_doc, {"require": ["vulnerabilities", "packages"]})
	problems == {"required data is unavailable: no source provided packages"}
}

test_fail_required_data_without_coverage if {
	[problem] := [p | some p in coverage.required_problems] with input as {"require": ["packages"]}
	startswith(problem, "required data cannot be confirmed")
}
