# Data availability, part of the decision (docs/decision.md): what data the
# evaluation had (the input's `coverage`), which evaluated rules read data no
# source provided (Anchore's `vulnerability_data_unavailable`: such a rule
# found nothing because it had nothing to look at, which is not a pass), and
# the data `require`d that is missing. A document without `coverage` (written
# by hand) is taken as complete.
package regate.decision

import data.regate.config

# METADATA
# title: The data the evaluation had, by kind, with its sources
# description: The input's `coverage`, or null when the input does not say.
coverage := object.get(input, "coverage", null) if {
	is_object(input)
} else := null

# A kind the coverage leaves out counts as lacking: a document that has a coverage section says everything it has.
_lacks(kind) if {
	coverage != null
	count(object.get(coverage, [kind, "sources"], [])) == 0
}

_lacks_field(path) if {
	[kind, name] := split(path, ".")
	name in object.get(coverage, [kind, "absent_fields"], [])
}

# METADATA
# title: What a rule reads that the input lacks, kinds then `kind.field`s
missing(rule) := array.concat(
	sort([kind | some kind in object.get(rule, ["reads", "data"], []); _lacks(kind)]),
	sort([path | some path in object.get(rule, ["reads", "fields"], []); _lacks_field(path)]),
)

# METADATA
# title: Evaluated rules whose data is unavailable, sorted by policy and rule
unavailable := [entry |
	some [policy_id, rule_id] in sort([[p, r] | some p in evaluated; some r, _ in config.policies[p].rules])
	rule := config.policies[policy_id].rules[rule_id]
	lacking := missing(rule)
	count(lacking) > 0
	entry := {
		"policy": policy_id,
		"rule": rule_id,
		"action": rule.action,
		"missing": lacking,
		"title": rule.title,
		"source": rule.source,
	}
]

_require := object.get(input, "require", []) if {
	is_object(input)
} else := []

# METADATA
# title: Data `require`d (regate check --require) that the input lacks
required_errors contains msg if {
	count(input_errors) == 0
	coverage == null
	count(_require) > 0
	msg := sprintf("required data cannot be confirmed: the input document does not say what data it has (no `coverage`); required: %s", [concat(", ", _require)])
}

required_errors contains msg if {
	count(input_errors) == 0
	some kind in _require
	_lacks(kind)
	msg := sprintf("required data is unavailable: no source provided %s", [kind])
}
