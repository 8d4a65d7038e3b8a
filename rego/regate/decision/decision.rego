# METADATA
# title: regate decision
# description: |
#   The one decision document of an evaluation, following Anchore's model:
#   image allow/deny lists, then the first matching mapping picks policies
#   and allowlists, every finding carries its rule's action, exceptions turn
#   findings into GO, a policy's action is the worst of its findings and the
#   final action the worst of its policies. The contract is docs/decision.md.
package regate.decision

import data.regate.config
import data.regate.lib.clock
import data.regate.lib.coverage
import data.regate.lib.images

# METADATA
# title: The decision document
# entrypoint: true
main := {
	"version": 1,
	"final_action": final_action,
	"final_reason": final_reason,
	"image": image,
	"image_rule": image_rule,
	"mapping": mapping_id,
	"policies": policies,
	"findings": findings,
	"coverage": coverage.stated,
	"unavailable": unavailable,
	"errors": sort(errors),
}

_required := ["schema_version", "image", "packages", "vulnerabilities", "files", "secrets", "users", "changes"]

# METADATA
# title: Why the input cannot be evaluated
# description: |
#   Non-empty means STOP and exit 2: an input that is not a regate input
#   document, an image no mapping matches (unless the policy set declares
#   what unmatched images get), data `require`d that no source provided.
errors := (input_errors | mapping_errors) | required_errors

# METADATA
# title: Why the input is not a regate input document
input_errors contains "the input is not a JSON object" if not is_object(input)

input_errors contains sprintf("input.schema_version is %v; this bundle reads version 1", [input.schema_version]) if {
	is_object(input)
	input.schema_version != 1
}

input_errors contains sprintf("input.%s is missing", [name]) if {
	is_object(input)
	present := object.keys(input) # once, not per required name
	some name in _required
	not name in present
}

# Collections are objects keyed by their entries' keys and `changes` is a list: a rule
# iterating a value of another shape would find nothing and the image would pass unseen.
_shapes := {
	"image": "object",
	"packages": "object",
	"vulnerabilities": "object",
	"files": "object",
	"secrets": "object",
	"users": "object",
	"changes": "array",
}

input_errors contains sprintf("input.%s is %s, not %s", [name, type_name(value), wanted]) if {
	is_object(input)
	some name, wanted in _shapes
	value := input[name]
	type_name(value) != wanted
}

_image := object.get(input, "image", {}) if is_object(input)

# METADATA
# title: Identity of the evaluated image
image := {name: object.get(_image, name, "") | some name in ["reference", "digest", "id"]}

_first_match(entries) := entries[min(matching)] if {
	matching := [i | some i, e in entries; images.matches(e.pattern)]
	count(matching) > 0
}

# Most policy sets list no images: no call for an empty list.
_denied := _first_match(config.images.deny) if count(config.images.deny) > 0

_allowed := _first_match(config.images.allow) if count(config.images.allow) > 0

# METADATA
# title: The image allow/deny entry that decided, if any
# description: A denylisted image is STOP even when it is also allowlisted.
image_rule := object.union(_denied, {"verdict": "deny"}) if {
	_denied
} else := object.union(_allowed, {"verdict": "allow"}) if {
	_allowed
} else := null

_mapping_index := min([i | some i, m in config.mappings; images.matches_any(m.images)])

_mapping := config.mappings[_mapping_index]

_unmapped if {
	count(config.mappings) > 0
	not _mapping
}

_image_name := n if {
	some n in [image.reference, image.digest, image.id]
	n != ""
} else := "without a reference, digest or id"

_tried := concat("; ", [sprintf("%s (images %s)", [m.id, concat(", ", m.images)]) | some m in config.mappings])

# METADATA
# title: An image no mapping matches, when the policy set does not say what it gets
# description: Anchore gives such an image GO; here that is a declared choice (`unmatched go`), not an accident.
mapping_errors contains msg if {
	count(input_errors) == 0
	_unmapped
	image_rule == null
	object.get(config, "unmatched", null) == null
	msg := sprintf(
		"no mapping matches image %s; mappings tried: %s. Name the image (--name REF) or declare `unmatched go|warn|stop`",
		[_image_name, _tried],
	)
}

# METADATA
# title: Id of the mapping that chose the policies (first match wins)
mapping_id := _mapping.id if {
	_mapping
} else := null

# METADATA
# title: Data `require`d (regate check --require) that the input lacks
required_errors contains msg if {
	count(input_errors) == 0
	some msg in coverage.required_problems
}

# METADATA
# title: Policies evaluated for this image, in order
selected := _mapping.policies if {
	_mapping
} else := config.policy_order if {
	count(config.mappings) == 0
} else := []

# METADATA
# title: Allowlists whose exceptions apply
active_allowlists := {a | some a in _mapping.allowlists} if {
	_mapping
} else := {a | some a in config.allowlists} if {
	count(config.mappings) == 0
} else := set()

# METADATA
# title: Policies actually evaluated
# description: None when the input is invalid or an image allow/deny entry decided.
evaluated := selected if {
	count(errors) == 0
	image_rule == null
} else := []

_in_scope(policy_id, exception) if exception.policy == policy_id

_in_scope(_, exception) if exception.allowlist in active_allowlists

_unexpired(exception) if exception.until_ns == null

_unexpired(exception) if clock.now_ns < exception.until_ns

# A hit's exception ids (even none held): which apply, which expired.
_exceptions(policy_id, action, ids) := {"applied": null, "expired": [], "effective": action} if {
	count(ids) == 0
} else := result if {
	candidates := [id | some id in ids; _in_scope(policy_id, config.exceptions[id])]
	usable := sort([id | some id in candidates; _unexpired(config.exceptions[id])])
	applied := _describe_exception(usable)
	result := {
		"applied": applied,
		"expired": sort([id | some id in candidates; not _unexpired(config.exceptions[id])]),
		"effective": _effective(action, applied),
	}
}

_describe_exception(ids) := null if {
	count(ids) == 0
} else := {
	"id": ids[0],
	"until": config.exceptions[ids[0]].until,
	"reason": config.exceptions[ids[0]].reason,
	"source": config.exceptions[ids[0]].source,
}

_effective(action, exception) := "GO" if {
	exception != null
} else := action

# [policy, rule, rule metadata, sorted hits] of every evaluated rule, sorted by
# policy and rule. A rule's metadata is read from data once per rule, not per
# hit, and only the fields a finding carries: all of it (its reads, links,
# description) took ~1 KB per rule to read from the store, with or without
# findings. No two entries share policy and rule, so sorting never compares hits.
_found := sort([[policy_id, rule_id, meta, sort(found)] |
	some policy_id in evaluated
	policy := config.policies[policy_id]
	some rule_id, found in data.regate.policies[policy["package"]].rules
	rule := policy.rules[rule_id]
	meta := {"action": rule.action, "title": rule.title, "severity": rule.severity, "source": rule.source}
])

# METADATA
# title: Every finding, sorted by policy, rule, key and message
# description: |
#   A rule's hits are all [key, message] or all [key, message, exception ids]
#   (rules that exceptions name), so the sorted set of a rule's hits is in key
#   and message order: each hit becomes its finding in place, with no tuple and
#   no sort of all findings. A hit's shape is matched (`some [key, message] in
#   hits`), not counted and indexed: one allocation less per finding.
findings := [finding |
	some [policy_id, rule_id, rule, hits] in _found
	some finding in array.concat(
		[{
			"policy": policy_id,
			"rule": rule_id,
			"action": rule.action,
			"effective_action": rule.action,
			"message": message,
			"key": key,
			"exception": null,
			"expired_exceptions": [],
			"title": rule.title,
			"severity": rule.severity,
			"source": rule.source,
		} |
			some [key, message] in hits
		],
		[{
			"policy": policy_id,
			"rule": rule_id,
			"action": rule.action,
			"effective_action": exceptions.effective,
			"message": message,
			"key": key,
			"exception": exceptions.applied,
			"expired_exceptions": exceptions.expired,
			"title": rule.title,
			"severity": rule.severity,
			"source": rule.source,
		} |
			some [key, message, ids] in hits
			exceptions := _exceptions(policy_id, rule.action, ids)
		],
	)
]

# METADATA
# title: Evaluated rules that read data the input lacks, sorted by policy and rule
# description: |
#   Such a rule found nothing because it had nothing to look at, which is not
#   a pass (Anchore's `vulnerability_data_unavailable`).
unavailable := [entry |
	coverage.stated != null # an input that does not state its coverage lacks nothing
	some [policy_id, rule_id] in sort([[p, r] | some p in evaluated; some r, _ in config.policies[p].rules])
	rule := config.policies[policy_id].rules[rule_id]

	# kinds of data no source provided, then `kind.field`s no source fills: written here, not
	# a function of the rule's metadata called per rule (~1.7 KB a call)
	lacking := array.concat(
		sort([kind | some kind in object.get(rule, ["reads", "data"], []); coverage.lacks(kind)]),
		sort([path | some path in object.get(rule, ["reads", "fields"], []); coverage.lacks_field(path)]),
	)
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

# The worst action of counted findings, without another pass over them.
_worst_counted(counts) := "STOP" if {
	counts.stop > 0
} else := "WARN" if {
	counts.warn > 0
} else := "GO"

# [policy, effective action, findings] per rule. A rule that no exception names
# (its hits are [key, message]) gives every finding its own action: its hits are
# counted, not visited. A hit of a rule that exceptions name counts as one, with
# the action its finding took (the _exceptions call that made it, cached). A rule's
# hits all have one shape (one `hit :=` per generated rule); were they mixed, each
# hit would still be counted, at worst with its rule's action, never left out.
_counted := array.concat(
	[[policy_id, rule.action, count(hits)] |
		some [policy_id, _, rule, hits] in _found
		count(hits[0]) == 2
	],
	array.concat(
		[[policy_id, _exceptions(policy_id, rule.action, ids).effective, 1] |
			some [policy_id, _, rule, hits] in _found
			count(hits[0]) == 3
			some [_, _, ids] in hits
		],
		[[policy_id, rule.action, 1] |
			some [policy_id, _, rule, hits] in _found
			count(hits[0]) == 3
			some [_, _] in hits # a hit of another shape among them: counted all the same
		],
	),
)

# METADATA
# title: Per-policy results, in evaluation order
policies := [result |
	some policy_id in evaluated
	counts := {lower(action): sum([n | some [p, a, n] in _counted; p == policy_id; a == action]) | some action in ["STOP", "WARN", "GO"]}
	result := {
		"id": policy_id,
		"title": config.policies[policy_id].title,
		"action": _worst_counted(counts),
		"findings": counts,
		"unavailable": [u.rule | some u in unavailable; u.policy == policy_id],
		"source": config.policies[policy_id].source,
	}
]

# METADATA
# title: The final action
final_action := "STOP" if {
	count(errors) > 0
} else := "STOP" if {
	image_rule.verdict == "deny"
} else := "GO" if {
	image_rule.verdict == "allow"
} else := config.unmatched if {
	_unmapped
} else := "STOP" if {
	# the worst of the policies' actions: looked for in turn, as _worst_counted does,
	# rather than a list of them ranked through two lookup tables (~2 KB an evaluation)
	some p in policies
	p.action == "STOP"
} else := "WARN" if {
	some p in policies
	p.action == "WARN"
} else := "GO"

# METADATA
# title: Why the final action is what it is
final_reason := "invalid_input" if {
	count(input_errors) > 0
} else := "data_unavailable" if {
	count(required_errors) > 0
} else := "denylisted" if {
	image_rule.verdict == "deny"
} else := "allowlisted" if {
	image_rule.verdict == "allow"
} else := "no_mapping" if {
	_unmapped
} else := "policy_evaluation"
