# METADATA
# title: Data coverage
# description: |
#   What data an input document has (its `coverage`: per kind of data, the
#   sources that provided it and the fields none of them fill), what a rule
#   reads that the input lacks, and the `require`d data that is missing. An
#   input without `coverage` (written by hand) is taken as complete.
package regate.lib.coverage

# METADATA
# title: The input's coverage, or null when it does not state it
stated := object.get(input, "coverage", null) if {
	is_object(input)
} else := null

# A kind the coverage leaves out counts as lacking: a document that states
# its coverage states everything it has.
_lacks(kind) if {
	stated != null
	count(object.get(stated, [kind, "sources"], [])) == 0
}

_lacks_field(path) if {
	[kind, name] := split(path, ".")
	name in object.get(stated, [kind, "absent_fields"], [])
}

# METADATA
# title: What a rule reads that the input lacks
# description: Kinds of data no source provided, then `kind.field`s no source fills.
missing(rule) := array.concat(
	sort([kind | some kind in object.get(rule, ["reads", "data"], []); _lacks(kind)]),
	sort([path | some path in object.get(rule, ["reads", "fields"], []); _lacks_field(path)]),
)

_required := object.get(input, "require", []) if {
	is_object(input)
} else := []

# METADATA
# title: Why the `require`d data is not there (regate check --require)
required_problems contains msg if {
	stated == null
	count(_required) > 0
	msg := sprintf(
		"required data cannot be confirmed: the input document does not say what data it has (no `coverage`); required: %s",
		[concat(", ", _required)],
	)
}

required_problems contains msg if {
	some kind in _required
	_lacks(kind)
	msg := sprintf("required data is unavailable: no source provided %s", [kind])
}
