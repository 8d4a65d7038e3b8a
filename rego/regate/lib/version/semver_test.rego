package regate.lib.version_test

import data.regate.lib.version

# The precedence example of the SemVer 2.0.0 specification
# (github.com/semver/semver, semver.md, item 11), in order.
semver_spec_order := [
	"1.0.0-alpha",
	"1.0.0-alpha.1",
	"1.0.0-alpha.beta",
	"1.0.0-beta",
	"1.0.0-beta.2",
	"1.0.0-beta.11",
	"1.0.0-rc.1",
	"1.0.0",
	"2.0.0",
	"2.1.0",
	"2.1.1",
]

test_success_semver_spec_order if {
	every i, a in semver_spec_order {
		every j, b in semver_spec_order {
			version.compare("npm", a, b) == sign(i - j)
		}
	}
}

# node-semver's test/fixtures/comparisons.js (github.com/npm/node-semver):
# the first version of each pair is the greater one.
node_semver_comparisons := [
	["0.0.0", "0.0.0-foo"],
	["0.0.1", "0.0.0"],
	["1.0.0", "0.9.9"],
	["0.10.0", "0.9.0"],
	["0.99.0", "0.10.0"],
	["2.0.0", "1.2.3"],
	["v0.0.0", "0.0.0-foo"],
	["v0.0.1", "0.0.0"],
	["v1.0.0", "0.9.9"],
	["v0.10.0", "0.9.0"],
	["v0.99.0", "0.10.0"],
	["v2.0.0", "1.2.3"],
	["0.0.0", "v0.0.0-foo"],
	["0.0.1", "v0.0.0"],
	["1.0.0", "v0.9.9"],
	["0.10.0", "v0.9.0"],
	["0.99.0", "v0.10.0"],
	["2.0.0", "v1.2.3"],
	["1.2.3", "1.2.3-asdf"],
	["1.2.3", "1.2.3-4"],
	["1.2.3", "1.2.3-4-foo"],
	["1.2.3-5-foo", "1.2.3-5"],
	["1.2.3-5", "1.2.3-4"],
	["1.2.3-5-foo", "1.2.3-5-Foo"],
	["3.0.0", "2.7.2+asdf"],
	["1.2.3-a.10", "1.2.3-a.5"],
	["1.2.3-a.b", "1.2.3-a.5"],
	["1.2.3-a.b", "1.2.3-a"],
	["1.2.3-a.b.c.10.d.5", "1.2.3-a.b.c.5.d.100"],
	["1.2.3-r2", "1.2.3-r100"],
	["1.2.3-r100", "1.2.3-R2"],
]

test_success_node_semver_comparisons if {
	every row in node_semver_comparisons {
		[a, b] := row
		version.compare("npm", a, b) == 1
		version.compare("npm", b, a) == -1
	}
}

# The lenient sort key orders strict versions exactly like OPA's
# semver.compare, which compare uses for them.
test_success_semver_key_matches_builtin if {
	strict := {x | some x in semver_spec_order} | {x | some pair in node_semver_comparisons; some x in pair}
	every a in strict {
		every b in strict {
			version._cmp(version._semver_key(a), version._semver_key(b)) == semver.compare(a, b)
		}
	}
}

test_success_semver_build_metadata_is_ignored if {
	version.eq("npm", "1.0.0+build.1", "1.0.0+build.99")
	version.eq("npm", "1.0.0-alpha+001", "1.0.0-alpha")
	version.eq("go-module", "v1.2.3+incompatible", "v1.2.3")
}

semver_lenient := [
	["v1.2", "1.2.0", 0],
	["1", "1.0.0", 0],
	["V1.2.3", "1.2.3", 0],
	[" 1.2.3 ", "1.2.3", 0],
	["1.2", "1.2.1", -1],
	["1.2-beta", "1.2", -1],
	["1.2-beta", "1.2.0-beta", 0],
	["01.2.3", "1.2.3", 0],
	["1.0.0-rc.01", "1.0.0-rc.1", 0],
	["1.0.0-rc.01", "1.0.0-rc.2", -1],
	["v2", "1.99.99", 1],
	["1.0.0-99999999999999999999999", "1.0.0-100000000000000000000000", -1],
	["99999999999999999999.0.0", "100000000000000000000.0.0", -1],
	["v0.0.0-20210101000000-abcdef123456", "v0.0.0-20220101000000-abcdef123456", -1],
	["v0.0.0-20220101000000-abcdef123456", "v0.1.0", -1],
	["v1.2.4-0.20230101000000-abcdef123456", "v1.2.3", 1],
	["v1.2.4-0.20230101000000-abcdef123456", "v1.2.4", -1],
]

# Lenient forms, as the ecosystems write them: a leading "v" or "V", missing
# minor/patch, leading zeros, surrounding blanks, numbers beyond 64 bits, Go
# pseudo-versions.
test_success_semver_lenient if {
	every row in semver_lenient {
		[a, b, want] := row
		version.compare("npm", a, b) == want
		version.compare("npm", b, a) == 0 - want
	}
}

# Not SemVer even leniently: compared by the generic scheme.
test_success_semver_unparseable_falls_back_to_generic if {
	every row in [["1.2.3.4", "1.2.3.10"], ["1.2.3-", "1.2.3"], ["1.0.0-a..b", "1.0.0"], ["latest", "1.0.0"], ["", "0.0.1"]] {
		[a, b] := row
		version.compare("npm", a, b) == version.compare("generic", a, b)
	}
	version.compare("nuget", "4.7.2.0", "4.7.10.0") == -1
}

test_fail_build_metadata_is_not_greater if {
	not version.gt("npm", "1.0.0+build.2", "1.0.0+build.1")
}

test_fail_pre_release_is_not_above_release if {
	not version.gt("npm", "1.0.0-rc.1", "1.0.0")
	not version.gte("cargo", "2.0.0-alpha", "2.0.0")
}

test_fail_numeric_identifiers_are_not_compared_as_text if {
	not version.gt("npm", "1.0.0-beta.2", "1.0.0-beta.11")
	not version.gt("npm", "1.0.0-1", "1.0.0-alpha")
}
