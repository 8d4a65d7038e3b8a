package regate.lib.version_test

import data.regate.lib.version

# Java archives and other ecosystems without a scheme of their own.
generic_order := [
	["2.14.1", "2.14.10", -1],
	["2.17.0", "2.14.1", 1],
	["2.14.1", "2.14.1.1", -1],
	["1.0", "1.0.0", -1],
	["1.2.3.RELEASE", "1.2.3.4", -1],
	["1.2.3", "1.2.3.RELEASE", -1],
	["1.2.3.RELEASE", "1.2.3.release", 0],
	["21.0.2", "21.0.1", 1],
	["21.0.2", "21.0.2+13", -1],
	["11.0.20.1", "11.0.20", 1],
	["17.0.10+7", "17.0.9+9", 1],
	["1.0-SNAPSHOT", "1.0.1", -1],
	["5.3.18", "5.3.9", 1],
	["2.0.0-M1", "2.0.0-M2", -1],
	["2.0.0.Final", "2.0.0.Beta1", 1],
	["v1.2", "1.2", 0],
	["V1.2", "1.2", 0],
	["1.01", "1.1", 0],
	["1.0-1", "1.0.1", 0],
	["1_0", "1.0", 0],
	["20240101", "20231231", 1],
	["1.0.123456789012345678901234567890", "1.0.123456789012345678901234567891", -1],
	["abc", "abd", -1],
	["abc", "1", -1],
	["", "0", -1],
	["", "", 0],
	["  1.0  ", "1.0", 0],
	["version", "v", 1],
	["1.0a", "1.0", 1],
	["1.0a", "1.0.1", -1],
	["1.0%d", "1.0%s", -1],
]

test_success_generic_order if {
	every row in generic_order {
		[a, b, want] := row
		version.compare("java-archive", a, b) == want
		version.compare("java-archive", b, a) == 0 - want
	}
}

test_fail_text_is_not_above_a_number if {
	not version.gt("java-archive", "1.2.3.RELEASE", "1.2.3.4")
	not version.gt("binary", "1.0-SNAPSHOT", "1.0.1")
}

test_fail_numbers_are_not_compared_as_text_generically if {
	not version.lt("jenkins-plugin", "2.10", "2.9")
	not version.gt("java-archive", "1.9.0", "1.10.0")
}

test_compare_needs_two_strings if {
	not version.compare("deb", 3, 3)
	not version.compare("deb", "1.0", null)
	not version.compare("generic", ["1"], ["1"])
}
