package regate.lib.text_test

import data.regate.lib.text

test_success_scalars if {
	text.str("a") == "a"
	text.str(null) == ""
	text.str(42) == "42"
	text.str(8.8) == "8.8"
	text.str(true) == "true"
}

test_success_lists_are_joined if {
	text.str(["1.2.3", "1.2.4"]) == "1.2.3, 1.2.4"
	text.str([]) == ""
	text.str({"b", "a"}) == "a, b"
}

test_success_objects_are_json if {
	text.str({"a": 1}) == `{"a":1}`
}

test_success_truth if {
	text.truth({true})
	not text.truth(set())
}

test_fail_size_of_null_is_not_undefined if {
	text.size(null) == 0
	text.size([1, 2]) == 2
	text.size({"a": 1}) == 1
	text.size("héllo") == 5
	text.size(7) == 0
}

test_success_octal if {
	text.octal(2541) == "4755"
	text.octal(420) == "644"
	text.octal(null) == ""
}
