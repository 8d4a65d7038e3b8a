# METADATA
# title: Text
# description: Turning values into message text; total functions, so messages never vanish.
package regate.lib.text

# METADATA
# title: A value as message text
# description: Strings as they are, null as empty, lists joined with ", ", other values as JSON.
str(x) := x if is_string(x)

str(x) := "" if is_null(x)

str(x) := format_int(x, 10) if {
	is_number(x)
	x == floor(x)
}

str(x) := sprintf("%v", [x]) if {
	is_number(x)
	x != floor(x)
}

str(x) := sprintf("%v", [x]) if is_boolean(x)

str(x) := concat(", ", [_scalar(e) | some e in x]) if is_array(x)

str(x) := concat(", ", sort([_scalar(e) | some e in x])) if is_set(x)

str(x) := json.marshal(x) if is_object(x)

_scalar(e) := e if is_string(e)

_scalar(e) := json.marshal(e) if not is_string(e)

# METADATA
# title: A number in octal, as file modes are written
# description: 2541 becomes "4755"; anything else becomes "".
octal(x) := sprintf("%o", [x]) if is_number(x)

octal(x) := "" if not is_number(x)

# METADATA
# title: Whether a set built from a condition is non-empty
# description: Lets a condition appear as true or false in a message.
truth(s) := count(s) > 0

# METADATA
# title: Number of elements, 0 for null
size(x) := 0 if is_null(x)

size(x) := count(x) if not is_null(x)
