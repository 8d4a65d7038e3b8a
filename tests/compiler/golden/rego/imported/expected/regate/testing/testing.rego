# METADATA
# title: Policy test expectations
# description: |
#   Compares a decision with the expectations of one `regate test` case. The
#   tests regate generates from YAML call `failures`; an empty list is a pass.
package regate.testing

import data.regate.config

_owned_by(policy_id, rule, wanted) if {
	config.policies[policy_id].rules[rule]
	wanted == null
}

_owned_by(policy_id, rule, wanted) if {
	config.policies[policy_id].rules[rule]
	policy_id == wanted
}

_evaluated(decision, rule, policy) if {
	some evaluated in decision.policies
	_owned_by(evaluated.id, rule, policy)
}

_of_rule(decision, rule, policy) := [f |
	some f in decision.findings
	f.rule == rule
	_policy_ok(f.policy, policy)
]

_policy_ok(_, null)

_policy_ok(actual, wanted) if actual == wanted

_unavailable(decision, rule, policy) if {
	some u in object.get(decision, "unavailable", [])
	u.rule == rule
	_policy_ok(u.policy, policy)
}

# METADATA
# title: PASS, FAIL, UNAVAILABLE or SKIP for one rule
# description: |
#   SKIP when no policy holding the rule was evaluated (mappings, image lists);
#   FAIL when the rule has a finding that no exception covers; UNAVAILABLE
#   when it read data the input lacks (it had nothing to look at); else PASS.
status(decision, rule, policy) := "SKIP" if {
	not _evaluated(decision, rule, policy)
} else := "FAIL" if {
	some f in _of_rule(decision, rule, policy)
	f.exception == null
} else := "UNAVAILABLE" if {
	_unavailable(decision, rule, policy)
} else := "PASS"

_messages(findings) := [f.message | some f in findings]

_message_ok(expected, _) if expected.message == null

_message_ok(expected, f) if expected.message == f.message

_matches_ok(expected, _) if expected.matches == null

_matches_ok(expected, f) if regex.match(expected.matches, f.message)

_key_ok(expected, _) if expected.key == null

_key_ok(expected, f) if expected.key == f.key

_action_ok(expected, _) if expected.action == null

_action_ok(expected, f) if expected.action == f.effective_action

_finding_matches(expected, f) if {
	_key_ok(expected, f)
	_message_ok(expected, f)
	_matches_ok(expected, f)
	_action_ok(expected, f)
}

_exception_matches(expected, f) if {
	_key_ok(expected, f)
	f.exception.id == expected.id
}

_decision_failures(decision, expect) := [failure |
	some field, actual in {"action": decision.final_action, "reason": decision.final_reason}
	expected := expect[field]
	expected != null
	expected != actual
	failure := {"path": array.concat(expect.path, [field]), "expected": expected, "actual": actual}
]

_rule_failures(decision, expect) := [failure |
	some rule in expect.rules
	actual := status(decision, rule.rule, rule.policy)
	actual != rule.status
	failure := {
		"path": rule.path, "expected": rule.status, "actual": actual,
		"findings": _messages(_of_rule(decision, rule.rule, rule.policy)),
	}
]

_count_failures(decision, expect) := [failure |
	some expected in expect.counts
	found := _of_rule(decision, expected.rule, expected.policy)
	count(found) != expected.count
	failure := {"path": expected.path, "expected": expected.count, "actual": count(found), "findings": _messages(found)}
]

_finding_failures(decision, expect) := [failure |
	some expected in expect.findings
	found := _of_rule(decision, expected.rule, expected.policy)
	not _any_finding_matches(expected, found)
	failure := {"path": expected.path, "expected": object.remove(expected, ["path"]), "actual": found}
]

_any_finding_matches(expected, found) if {
	some f in found
	_finding_matches(expected, f)
}

_exception_failures(decision, expect) := [failure |
	some expected in expect.exceptions
	found := _of_rule(decision, expected.rule, expected.policy)
	not _any_exception_matches(expected, found)
	applied := [{"key": f.key, "exception": f.exception} | some f in found]
	failure := {"path": expected.path, "expected": object.remove(expected, ["path"]), "actual": applied}
]

_any_exception_matches(expected, found) if {
	some f in found
	_exception_matches(expected, f)
}

# METADATA
# title: Every way a decision departs from a test case's expectations
# description: Each failure has the path of the expectation in the test file, what was expected and what happened.
failures(decision, expect) := array.concat(
	array.concat(_decision_failures(decision, expect), _rule_failures(decision, expect)),
	array.concat(
		_count_failures(decision, expect),
		array.concat(_finding_failures(decision, expect), _exception_failures(decision, expect)),
	),
)
