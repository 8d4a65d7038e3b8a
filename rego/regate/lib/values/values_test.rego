package regate.lib.values_test

import data.regate.lib.values

test_member_of_lists_sets_and_object_keys if {
	values.member(1, [1, 2])
	values.member("a", {"a"})
	values.member("a", {"a": null})
	not values.member(1, [2])
	not values.member(1, {"a": 1})
	values.not_member(3, [1, 2])
	values.not_member("b", {"a": 1})
	not values.not_member("a", {"a": false})
}

test_membership_in_a_non_collection_is_undefined if {
	not values.member("a", "a")
	not values.not_member("a", "b")
	not values.not_member(1, null)
}

test_only_same_kinds_compare if {
	values.comparable(1, 2.5)
	values.comparable("a", "b")
	not values.comparable("a", 1)
	not values.comparable(null, 1)
	not values.comparable([], [])
}

test_element_key if {
	values.element_key({"digest": "sha256:1"}, "digest", 0) == "sha256:1"
	values.element_key({}, "digest", 3) == "3"
	values.element_key("text", "digest", 4) == "4"
}

test_octal_of_whole_numbers_only if {
	values.octal(493) == "755"
	not values.octal(1.5)
	not values.octal("493")
}
