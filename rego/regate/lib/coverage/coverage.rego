# METADATA
# title: Data coverage
# description: |
#   What data an input document has (its `coverage`: per kind of data, the
#   sources that provided it and the fields none of them fill), which kinds and
#   fields the input lacks, and the `require`d data that is missing. An
#   input without `coverage` (written by hand) is taken as complete.
package regate.lib.coverage

# METADATA
# title: The input's coverage, or null when it does not state it
stated := object.get(input, "coverage", null) if {
	is_object(input)
} else := null

# METADATA
# title: Whether no source provided a kind of data
# description: |
#   A kind the coverage leaves out counts as lacking: a document that states
#   its coverage states everything it has. Never, when it states no coverage.
lacks(kind) if {
	stated != null
	count(object.get(stated, [kind, "sources"], [])) == 0
}

# METADATA
# title: Whether no source fills a field, written `kind.field`
lacks_field(path) if {
	[kind, name] := split(path, ".")
	name in object.get(stated, [kind, "absent_fields"], [])
}

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
	lacks(kind)
	msg := sprintf("required data is unavailable: no source provided %s", [kind])
}
