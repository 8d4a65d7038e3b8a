package regate.lib.clock_test

import data.regate.lib.clock

test_success_now_comes_from_input if {
	clock.now_ns == 1704067200000000000 with input as {"now": "2024-01-01T00:00:00Z"}
}

test_success_now_defaults_to_the_clock if {
	clock.now_ns > 1704067200000000000 with input as {}
}

test_success_bare_dates_are_midnight_utc if {
	clock.ns("2024-01-01") == clock.ns("2024-01-01T00:00:00Z")
}

test_success_days_since if {
	clock.days_since("2023-12-01T12:00:00Z") == 30 with input as {"now": "2024-01-01T00:00:00Z"}
}

test_fail_days_since_of_garbage_is_undefined if {
	not clock.days_since("yesterday")
	not clock.days_since(null)
}

test_success_days_since_or_null if {
	clock.days_since_or_null(null) == null
	clock.days_since_or_null("2023-12-31") == 1 with input as {"now": "2024-01-01T00:00:00Z"}
}
