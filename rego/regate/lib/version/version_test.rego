package regate.lib.version_test

import data.regate.lib.version

# The sign of a number: the expected comparison of two list positions.
sign(n) := 1 if n > 0

sign(n) := -1 if n < 0

sign(0) := 0

# Syft package types (and the aliases the scheme table accepts) -> scheme.
ecosystem_schemes := [
	["deb", "debian"],
	["rpm", "rpm"],
	["apk", "alpine"],
	["python", "pep440"],
	["npm", "semver"],
	["go-module", "semver"],
	["gem", "semver"],
	["rust-crate", "semver"],
	["cargo", "semver"],
	["composer", "semver"],
	["php-composer", "semver"],
	["nuget", "semver"],
	["dotnet", "semver"],
	["hex", "semver"],
	["pub", "semver"],
	["dart-pub", "semver"],
	["swift", "semver"],
	["cocoapods", "semver"],
	["pod", "semver"],
	["conan", "semver"],
	["java-archive", "generic"],
	["jenkins-plugin", "generic"],
	["binary", "generic"],
	["debian", "debian"],
	["alpine", "alpine"],
	["pep440", "pep440"],
	["semver", "semver"],
	["generic", "generic"],
	["maven", "generic"],
	["DEB", "generic"],
	["", "generic"],
]

test_success_scheme_of_each_ecosystem if {
	every row in ecosystem_schemes {
		[ecosystem, scheme] := row
		version.scheme(ecosystem) == scheme
	}
}

test_success_scheme_of_a_non_string_is_generic if {
	version.scheme(42) == "generic"
	version.scheme(null) == "generic"
}

# Strings that are versions in some schemes and nonsense in others.
odd_versions := [
	"", " ", "0", "1", "1.0", "1.0.0", "v1.2.3", "1:2.3-4", "1.0~rc1", "1.0^git1", "1.0_alpha1-r2",
	"1.0a1.post2.dev3+local.7", "1.0.0-rc.1+build.5", "1.2.3.RELEASE", "-", ":", "~", "^", "+", "%d%s",
	"abc", "ABC", "1..2", "1 2", "\t1.0\n", "é1.0", "1.0€", "00000000000000000000000000000000000000001",
]

schemes := ["debian", "rpm", "alpine", "pep440", "semver", "generic"]

# compare is defined for any two strings in every scheme, gives -1, 0 or
# 1, and swapping the versions negates it.
test_success_compare_is_total_and_antisymmetric if {
	every s in schemes {
		every i, a in odd_versions {
			every b in array.slice(odd_versions, i + 1, count(odd_versions)) {
				r := version.compare(s, a, b)
				r in {-1, 0, 1}
				version.compare(s, b, a) == 0 - r
			}
		}
	}
}

test_success_identical_versions_are_equal if {
	every s in schemes {
		every a in odd_versions {
			version.compare(s, a, a) == 0
		}
	}
}

test_success_unknown_ecosystem_compares_generically if {
	version.compare("maven", "1.2.3.RELEASE", "1.2.3.4") == -1
	version.compare("maven", "2.14.1", "2.14.10") == -1
}

test_success_helpers if {
	version.lt("deb", "1.0~rc1", "1.0") == true
	version.lte("deb", "1.0~rc1", "1.0") == true
	version.lte("python", "1.0", "1.0.0") == true
	version.gt("rpm", "1.0^git1", "1.0") == true
	version.gte("apk", "1.0-r1", "1.0-r1") == true
	version.eq("python", "1.0", "1.0.0") == true
	version.eq("npm", "v1.2", "1.2.0") == true
}

test_fail_helpers_do_not_report_the_wrong_order if {
	version.lt("deb", "1.0", "1.0~rc1") == false
	version.lte("deb", "1.0", "1.0~rc1") == false
	version.gt("rpm", "1.0", "1.0^git1") == false
	version.gte("apk", "1.0-r0", "1.0-r1") == false
	version.eq("python", "1.0", "1.0.post0") == false
}

test_fail_lt_is_not_reported_for_equal_versions if {
	not version.lt("python", "1.0", "1.0.0")
	not version.gt("npm", "1.0.0+a", "1.0.0+b")
	not version.lt("deb", "1.09", "1.9")
}
