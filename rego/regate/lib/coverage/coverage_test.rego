package regate.lib.coverage_test

import data.regate.lib.coverage

_doc := {"coverage": {
	"packages": {"sources": []},
	"vulnerabilities": {"sources": ["grype-json:g.json"], "absent_fields": ["modified", "published"]},
}}

test_success_kinds_no_source_provided_are_lacking if {
	coverage.lacks("packages") with input as _doc
	coverage.lacks("files") with input as _doc # left out of the coverage
	not coverage.lacks("vulnerabilities") with input as _doc
}

test_success_fields_no_source_fills_are_lacking if {
	coverage.lacks_field("vulnerabilities.published") with input as _doc
	not coverage.lacks_field("vulnerabilities.epss") with input as _doc
	not coverage.lacks_field("packages.licenses") with input as _doc
}

test_success_without_coverage_nothing_is_lacking if {
	not coverage.lacks("packages") with input as {}
	not coverage.lacks_field("vulnerabilities.published") with input as {}
	coverage.stated == null with input as {}
	coverage.stated == null with input as [1]
}

test_fail_required_kinds_that_are_missing if {
	problems := coverage.required_problems with input as object.union(_doc, {"require": ["vulnerabilities", "packages"]})
	problems == {"required data is unavailable: no source provided packages"}
}

test_fail_required_data_without_coverage if {
	[problem] := [p | some p in coverage.required_problems] with input as {"require": ["packages"]}
	startswith(problem, "required data cannot be confirmed")
}
