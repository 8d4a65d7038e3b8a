# METADATA
# title: Text
# description: Turning values into message text; total functions, so messages never vanish.
package regate.lib.text

# METADATA
# title: A value as message text
# description: Strings as they are, null as empty, lists joined with ", ", other values as JSON.
str(x) := x if {
	is_string(x)
} else := "" if {
	is_null(x)
} else := format_int(x, 10) if {
	is_number(x)
	x == floor(x)
} else := sprintf("%v", [x]) if {
	is_number(x)
} else := sprintf("%v", [x]) if {
	is_boolean(x)
} else := concat(", ", [_scalar(e) | some e in x]) if {
	is_array(x)
} else := concat(", ", sort([_scalar(e) | some e in x])) if {
	is_set(x)
} else := json.marshal(x)

_scalar(e) := e if {
	is_string(e)
} else := json.marshal(e)

# METADATA
# title: A number in octal, as file modes are written
# description: 2541 becomes "4755"; anything else becomes "".
octal(x) := sprintf("%o", [x]) if {
	is_number(x)
} else := ""

# METADATA
# title: Whether a set built from a condition is non-empty
# description: Lets a condition appear as true or false in a message.
truth(s) := count(s) > 0

# METADATA
# title: Number of elements of a collection, characters of a string, 0 for anything else
# description: Total, so `count(x)` of a missing or null value is 0 (a missing list has no elements).
size(x) := count(x) if {
	_countable(x)
} else := 0

_countable(x) if is_array(x)

_countable(x) if is_object(x)

_countable(x) if is_set(x)

_countable(x) if is_string(x)
