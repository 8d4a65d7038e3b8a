# METADATA
# title: Time
# description: The evaluation clock and date arithmetic in nanoseconds since the epoch.
package regate.lib.clock

_day_ns := 86400000000000

# METADATA
# title: Evaluation time
# description: input.now (RFC 3339) when the input sets it, for reproducible results; else OPA's clock.
now_ns := ns(input.now) if {
	is_string(input.now)
} else := time.now_ns()

# METADATA
# title: A date or timestamp in nanoseconds
# description: Accepts RFC 3339 timestamps and bare dates (YYYY-MM-DD, midnight UTC); undefined otherwise.
ns(x) := time.parse_rfc3339_ns(x) if {
	is_string(x)
	contains(x, "T")
} else := time.parse_ns("2006-01-02", x) if {
	is_string(x)
	not contains(x, "T")
}

# METADATA
# title: Whole days from a date until now
# description: Undefined when x is not a date, so a condition on it is false.
days_since(x) := floor((now_ns - time.parse_rfc3339_ns(x)) / _day_ns) if {
	# ns(x) written out: one call per date instead of two, in conditions on every element
	is_string(x)
	contains(x, "T")
} else := floor((now_ns - ns(x)) / _day_ns)

# METADATA
# title: days_since for messages
# description: Like days_since, but null instead of undefined, so a message never disappears.
days_since_or_null(x) := days_since(x) if {
	ns(x)
} else := null
