package regate.lib.version_test

import data.regate.lib.version

# Every RPMVERCMP case of rpm's tests/rpmvercmp.at
# (github.com/rpm-software-management/rpm), tilde and caret included.
rpmvercmp_at := [
	["1.0", "1.0", 0],
	["1.0", "2.0", -1],
	["2.0", "1.0", 1],
	["2.0.1", "2.0.1", 0],
	["2.0", "2.0.1", -1],
	["2.0.1", "2.0", 1],
	["2.0.1a", "2.0.1a", 0],
	["2.0.1a", "2.0.1", 1],
	["2.0.1", "2.0.1a", -1],
	["5.5p1", "5.5p1", 0],
	["5.5p1", "5.5p2", -1],
	["5.5p2", "5.5p1", 1],
	["5.5p10", "5.5p10", 0],
	["5.5p1", "5.5p10", -1],
	["5.5p10", "5.5p1", 1],
	["10xyz", "10.1xyz", -1],
	["10.1xyz", "10xyz", 1],
	["xyz10", "xyz10", 0],
	["xyz10", "xyz10.1", -1],
	["xyz10.1", "xyz10", 1],
	["xyz.4", "xyz.4", 0],
	["xyz.4", "8", -1],
	["8", "xyz.4", 1],
	["xyz.4", "2", -1],
	["2", "xyz.4", 1],
	["5.5p2", "5.6p1", -1],
	["5.6p1", "5.5p2", 1],
	["5.6p1", "6.5p1", -1],
	["6.5p1", "5.6p1", 1],
	["6.0.rc1", "6.0", 1],
	["6.0", "6.0.rc1", -1],
	["10b2", "10a1", 1],
	["10a2", "10b2", -1],
	["1.0aa", "1.0aa", 0],
	["1.0a", "1.0aa", -1],
	["1.0aa", "1.0a", 1],
	["10.0001", "10.0001", 0],
	["10.0001", "10.1", 0],
	["10.1", "10.0001", 0],
	["10.0001", "10.0039", -1],
	["10.0039", "10.0001", 1],
	["4.999.9", "5.0", -1],
	["5.0", "4.999.9", 1],
	["20101121", "20101121", 0],
	["20101121", "20101122", -1],
	["20101122", "20101121", 1],
	["2_0", "2_0", 0],
	["2.0", "2_0", 0],
	["2_0", "2.0", 0],
	["a", "a", 0],
	["a+", "a+", 0],
	["a+", "a_", 0],
	["a_", "a+", 0],
	["+a", "+a", 0],
	["+a", "_a", 0],
	["_a", "+a", 0],
	["+_", "+_", 0],
	["_+", "+_", 0],
	["_+", "_+", 0],
	["+", "_", 0],
	["_", "+", 0],
	["1.0~rc1", "1.0~rc1", 0],
	["1.0~rc1", "1.0", -1],
	["1.0", "1.0~rc1", 1],
	["1.0~rc1", "1.0~rc2", -1],
	["1.0~rc2", "1.0~rc1", 1],
	["1.0~rc1~git123", "1.0~rc1~git123", 0],
	["1.0~rc1~git123", "1.0~rc1", -1],
	["1.0~rc1", "1.0~rc1~git123", 1],
	["1.0^", "1.0^", 0],
	["1.0^", "1.0", 1],
	["1.0", "1.0^", -1],
	["1.0^git1", "1.0^git1", 0],
	["1.0^git1", "1.0", 1],
	["1.0", "1.0^git1", -1],
	["1.0^git1", "1.0^git2", -1],
	["1.0^git2", "1.0^git1", 1],
	["1.0^git1", "1.01", -1],
	["1.01", "1.0^git1", 1],
	["1.0^20160101", "1.0^20160101", 0],
	["1.0^20160101", "1.0.1", -1],
	["1.0.1", "1.0^20160101", 1],
	["1.0^20160101^git1", "1.0^20160101^git1", 0],
	["1.0^20160102", "1.0^20160101^git1", 1],
	["1.0^20160101^git1", "1.0^20160102", -1],
	["1.0~rc1^git1", "1.0~rc1^git1", 0],
	["1.0~rc1^git1", "1.0~rc1", 1],
	["1.0~rc1", "1.0~rc1^git1", -1],
	["1.0^git1~pre", "1.0^git1~pre", 0],
	["1.0^git1", "1.0^git1~pre", 1],
	["1.0^git1~pre", "1.0^git1", -1],
]

test_success_rpmvercmp_at if {
	every row in rpmvercmp_at {
		[a, b, want] := row
		version.compare("rpm", a, b) == want
	}
}

# The "oddities" tests/rpmvercmp.at documents (commented out there) as
# rpm's actual behaviour: a letter right after a number, non-ASCII letters.
rpmvercmp_at_oddities := [
	["1b.fc17", "1b.fc17", 0],
	["1b.fc17", "1.fc17", -1],
	["1.fc17", "1b.fc17", 1],
	["1g.fc17", "1g.fc17", 0],
	["1g.fc17", "1.fc17", 1],
	["1.fc17", "1g.fc17", -1],
	["1.1.\u03b1", "1.1.\u03b1", 0],
	["1.1.\u03b1", "1.1.\u03b2", 0],
	["1.1.\u03b2", "1.1.\u03b1", 0],
	["1.1.\u03b1\u03b1", "1.1.\u03b1", 0],
	["1.1.\u03b1", "1.1.\u03b2\u03b2", 0],
	["1.1.\u03b2\u03b2", "1.1.\u03b1\u03b1", 0],
]

test_success_rpmvercmp_at_oddities if {
	every row in rpmvercmp_at_oddities {
		[a, b, want] := row
		version.compare("rpm", a, b) == want
	}
}

# Epoch, version and release as rpm's rpmverCmp compares them: a missing
# epoch is 0, the release is compared only when both versions have one, it
# follows the last hyphen; real RHEL/Fedora release strings.
rpm_evr := [
	["1:1.0-1", "2.0-1", 1],
	["0:1.0-1", "1.0-1", 0],
	["1.0-1", "1:1.0-1", -1],
	["01:1.0", "1:1.0", 0],
	[":1.0", "0:1.0", 0],
	["2:1.0", "10:0.1", -1],
	["1.0-1", "1.0-2", -1],
	["1.0-1.el8", "1.0-1.el9", -1],
	["1.0-10.el8", "1.0-9.el8", 1],
	["2.0-1", "1.0-9", 1],
	["1.0", "1.0-1", 0],
	["1.0-1", "1.0", 0],
	["1.0", "1.1-1", -1],
	["1.2.3-4.el8_6.1", "1.2.3-4.el8_6", 1],
	["1.2.3-4.el8_6", "1.2.3-4.el8", 1],
	["4.18.0-477.10.1.el8_8", "4.18.0-477.13.1.el8_8", -1],
	["2.28-225.el9", "2.28-225.el9_2.1", -1],
	["1.1.1k-7.el8_6", "1.1.1k-9.el8_7", -1],
	["1.1.1k-9.el8_7", "1:1.1.1k-4.el8", -1],
	["1.0-1-2", "1.0-1-10", -1],
	["1.0-2-1", "1.0-10-1", -1],
	["1.0-", "1.0-0", -1],
	["-1.0", "0-1.0", -1],
	["1:2:3", "1:2:4", -1],
	["5.0.123456789012345678901234567890", "5.0.123456789012345678901234567891", -1],
	["5.0.00000000000000000000000000000000000000000000000000000000000000000000009", "5.0.10", -1],
]

test_success_rpm_evr if {
	every row in rpm_evr {
		[a, b, want] := row
		version.compare("rpm", a, b) == want
		version.compare("rpm", b, a) == 0 - want
	}
}

# rpm never rejects a version; only tabs and newlines, which the encoding
# uses, send a pair to the generic scheme.
test_success_rpm_tab_or_newline_falls_back_to_generic if {
	version.compare("rpm", "1.0\t2", "1.0.3") == version.compare("generic", "1.0\t2", "1.0.3")
	version.compare("rpm", "1.0", "1.0\n") == version.compare("generic", "1.0", "1.0\n")
}

test_fail_rpm_tilde_is_not_greater if {
	not version.gt("rpm", "1.0~rc1", "1.0")
	not version.gte("rpm", "1.0~rc1-1", "1.0-1")
}

test_fail_rpm_caret_is_not_above_the_next_segment if {
	not version.gt("rpm", "1.0^git1", "1.0.1")
	not version.lt("rpm", "1.0^git1", "1.0")
}

test_fail_rpm_alpha_segment_is_not_above_numeric if {
	not version.gt("rpm", "1.0.a", "1.0.1")
}

test_fail_rpm_missing_release_is_not_lower if {
	not version.lt("rpm", "1.0", "1.0-1")
	not version.gt("rpm", "1.0-1", "1.0")
}
