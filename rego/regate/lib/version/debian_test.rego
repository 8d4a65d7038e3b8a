package regate.lib.version_test

import data.regate.lib.version

# The comparison table of dpkg's scripts/t/Dpkg_Version.t
# (github.com/guillemj/dpkg), every line. dpkg 1.21 itself rejects the
# empty revision of "0foo-" and the empty upstream of "-0.6.5", which
# Dpkg::Version accepts: "0foo-" is compared with an empty revision here
# too, and "-0.6.5" by the generic scheme (same answer).
dpkg_version_t := [
	["1.0-1", "2.0-2", -1],
	["2.2~rc-4", "2.2-1", -1],
	["2.2-1", "2.2~rc-4", 1],
	["1.0000-1", "1.0-1", 0],
	["1", "0:1", 0],
	["0", "0:0-0", 0],
	["2:2.5", "1:7.5", 1],
	["1:0foo", "0foo", 1],
	["0:0foo", "0foo", 0],
	["0foo", "0foo", 0],
	["0foo-", "0foo", 0],
	["0foo-", "0foo-0", 0],
	["0foo", "0fo", 1],
	["0foo-", "0foo+", -1],
	["0foo~1", "0foo", -1],
	["0foo~foo+Bar", "0foo~foo+bar", -1],
	["0foo~~", "0foo~", -1],
	["1~", "1", -1],
	["12345+that-really-is-some-ver-0", "12345+that-really-is-some-ver-10", -1],
	["0foo-0", "0foo-01", -1],
	["0foo.bar", "0foobar", 1],
	["0foo.bar", "0foo1bar", 1],
	["0foo.bar", "0foo0bar", 1],
	["0foo1bar-1", "0foobar-1", -1],
	["0foo2.0", "0foo2", 1],
	["0foo2.0.0", "0foo2.10.0", -1],
	["0foo2.0", "0foo2.0.0", -1],
	["0foo2.0", "0foo2.10", -1],
	["0foo2.1", "0foo2.10", -1],
	["1.09", "1.9", 0],
	["1.0.8+nmu1", "1.0.8", 1],
	["3.11", "3.10+nmu1", 1],
	["0.9j-20080306-4", "0.9i-20070324-2", 1],
	["1.2.0~b7-1", "1.2.0~b6-1", 1],
	["1.011-1", "1.06-2", 1],
	["0.0.9+dfsg1-1", "0.0.8+dfsg1-3", 1],
	["4.6.99+svn6582-1", "4.6.99+svn6496-1", 1],
	["53", "52", 1],
	["0.9.9~pre122-1", "0.9.9~pre111-1", 1],
	["2:2.3.2-2+lenny2", "2:2.3.2-2", 1],
	["1:3.8.1-1", "3.8.GA-1", 1],
	["1.0.1+gpl-1", "1.0.1-2", 1],
	["1a", "1000a", -1],
	["-0.6.5", "0.9.1", -1],
]

test_success_dpkg_version_t if {
	every row in dpkg_version_t {
		[a, b, want] := row
		version.compare("deb", a, b) == want
		version.compare("deb", b, a) == 0 - want
	}
}

# The comparisons and parses of dpkg's lib/dpkg/t/t-version.c
# (github.com/guillemj/dpkg: epochs, multiple hyphens and colons, valid
# characters, surrounding blanks) and further cases, every one checked with
# `dpkg --compare-versions` 1.21 (Debian and Ubuntu security updates,
# backports, digit runs far longer than 64 bits, the character weights).
dpkg_t_version_c_and_more := [
	["1-1", "2-1", -1],
	["1-1", "1-2", -1],
	["0-0", "0-0", 0],
	["0-00", "00-0", 0],
	["1:2-3", "1:2-3", 0],
	["0:0-0", "1:0-0", -1],
	["0:a-0", "0:b-0", -1],
	["0:0-a", "0:0-b", -1],
	["0", "0:0", 0],
	["0", "0:0-0", 0],
	["0.0-0.0", "0:0.0-0.0", 0],
	["1:0", "0:0", 1],
	["5:1", "5:1-0", 0],
	["0:0-0-0", "0:0-0-1", -1],
	["0:0-0-0", "0:0-1-0", -1],
	["0:0-0-0-0", "0:0-0-0", 1],
	["0:0:0-0", "0:0:1-0", -1],
	["0:0:0:0-0", "0:0:0-0", 1],
	["0:0-0:0-0", "0:0-0:1-0", -1],
	["0:09azAZ.-+~:-0", "0:09azAZ.-+~:-0", 0],
	["0:09azAZ.-+~:-0", "0:09azAZ.-+:-0", -1],
	["0:0-azAZ09.+~", "0:0-azAZ09.+", -1],
	["1.0~rc1", "1.0", -1],
	["1.0~~", "1.0~", -1],
	["1.0~", "1.0", -1],
	["1.0", "1.0a", -1],
	["1.0a", "1.0+", -1],
	["1.0+", "1.0.", -1],
	["1.0a", "1.0A", 1],
	["1.0.1", "1.0a", 1],
	["1:1.0", "2.0", 1],
	["1:1.0", "1:2.0", -1],
	["2.30-1ubuntu2", "2.30-1ubuntu10", -1],
	["1.2.3-1+deb12u1", "1.2.3-1", 1],
	["1.2.3-1~bpo11+1", "1.2.3-1", -1],
	["1.2.3-1~bpo11+1", "1.2.2-9", 1],
	["7.88.1-10+deb12u5", "7.88.1-10+deb12u12", -1],
	["3.0.11-1~deb12u2", "3.0.13-1~deb12u1", -1],
	["1:9.18.24-1", "1:9.18.19-1~deb12u1", 1],
	["2.36-9+deb12u4", "2.36-9+deb12u10", -1],
	["1.0.123456789012345678901234567890", "1.0.123456789012345678901234567891", -1],
	["1.0.0000000000000000000000000000000000000000000000000000000000000000000000001", "1.0.2", -1],
	["1.0.0000000000000000000000000000000000000000000000000000000000000000000000003", "1.0.2", 1],
	["1.0.99999999999999999999999999999999999999999999999999999999999999999999999", "1.0.100000000000000000000000000000000000000000000000000000000000000000000000", -1],
	["2147483647:1", "2147483646:9", 1],
	["0002:1.0", "2:1.0", 0],
	["1.0-1.2", "1.0-1.10", -1],
	["1.0-1.a", "1.0-1.~", 1],
	["1.0_1", "1.0a1", 1],
	["1.0@", "1.0+", 1],
	["0:abc3-0", "0:abc4-0", -1],
	["abc", "1.0", 1],
	["  \t0:0-1", "0:0-1", 0],
	["0:0-1\t  ", "0:0-1", 0],
	["\t  0:0-1  \t", "0:0-1", 0],
]

test_success_dpkg_t_version_c_and_more if {
	every row in dpkg_t_version_c_and_more {
		[a, b, want] := row
		version.compare("deb", a, b) == want
		version.compare("deb", b, a) == 0 - want
	}
}

# Versions dpkg refuses (lib/dpkg/t/t-version.c's parse errors) are
# compared by the generic scheme, and compare stays defined.
test_success_debian_parse_errors_fall_back_to_generic if {
	invalid := ["", "  ", "0:", "0:0 0-1", "-1:0-1", "999999999999999999999999:0-1", "2147483648:1", "a:0-0", "A:0-0", "-0", "0:-0", ":1.0", "1.0\n"]
	every x in invalid {
		every y in ["1.0", "0:0-1", "2:1.0-1"] {
			version.compare("deb", x, y) == version.compare("generic", x, y)
			version.compare("deb", y, x) == version.compare("generic", y, x)
		}
	}
}

test_success_debian_epoch_at_dpkg_limit if {
	version.compare("deb", "2147483647:1.0", "2147483646:9.0") == 1
}

test_fail_tilde_is_not_greater if {
	not version.gt("deb", "1.0~rc1", "1.0")
	not version.gte("deb", "1.0~rc1-1", "1.0-1")
	not version.gt("deb", "1.0~~", "1.0~")
}

test_fail_epoch_is_not_ignored if {
	not version.lt("deb", "1:0.1", "2.0")
	not version.eq("deb", "1:1.0", "1.0")
}

test_fail_letters_do_not_sort_after_punctuation if {
	not version.gt("deb", "1.0a", "1.0+")
	not version.gt("deb", "1.0a", "1.0.1")
}

test_fail_numbers_are_not_compared_as_text if {
	not version.lt("deb", "1.10", "1.9")
	not version.lt("deb", "2.30-1ubuntu10", "2.30-1ubuntu2")
}

# Split at the first hyphen, "1-~-1" would have the revision "~-1" and sort
# below "1-1"; dpkg splits at the last one.
test_fail_revision_is_not_split_at_the_first_hyphen if {
	not version.lt("deb", "1-~-1", "1-1")
}
