# METADATA
# title: Values
# description: |
#   Building blocks of generated conditions that OPA's operators do not give
#   directly: membership in whatever kind of collection, and ordering only
#   between values of one kind (OPA orders every value, so `"a" > 1` and
#   `null < 1` are true there). Each is undefined when an operand has the wrong
#   kind, so the condition using it is false, like one on a missing field.
package regate.lib.values

# METADATA
# title: x is an element of a list or set, or a key of an object
member(x, c) if {
	_elements(c)
	x in c
}

member(x, c) if {
	is_object(c)
	_has_key(c, x)
}

# METADATA
# title: x is not an element of a list or set, nor a key of an object
# description: Undefined (not true) when c is not a collection, like `in`.
not_member(x, c) if {
	_elements(c)
	not x in c
}

not_member(x, c) if {
	is_object(c)
	not _has_key(c, x)
}

_elements(c) if is_array(c)

_elements(c) if is_set(c)

_has_key(c, k) if _ = c[k]

# METADATA
# title: a and b can be ordered
# description: Both numbers or both strings.
comparable(a, b) if {
	is_number(a)
	is_number(b)
}

comparable(a, b) if {
	is_string(a)
	is_string(b)
}

# METADATA
# title: The key of an element of an array collection
# description: Its key field when it is an object that has one, else its position as text.
element_key(element, field, position) := object.get(element, field, format_int(position, 10)) if {
	is_object(element)
} else := format_int(position, 10)

# METADATA
# title: A whole number in octal, for conditions
# description: Undefined for anything but a whole number (messages use regate.lib.text.octal).
octal(x) := sprintf("%o", [x]) if {
	is_number(x)
	x == floor(x)
}
