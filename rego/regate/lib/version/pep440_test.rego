package regate.lib.version_test

import data.regate.lib.version

# packaging's tests/test_version.py VERSIONS list (github.com/pypa/packaging),
# which "must be in the correct sorting order": every ordered pair is
# checked (dev releases of pre-releases, post releases of pre-releases,
# local versions, epochs).
packaging_sorted_versions := [
	"1.0.dev0",
	"1.0.dev456",
	"1.0.dev456+local",
	"1.0a0",
	"1.0a0.post0.dev0",
	"1.0a0.post0",
	"1.0a1.dev1",
	"1.0a1.dev1+local",
	"1.0a1",
	"1.0a1+local",
	"1.0b0",
	"1.0b1.dev456",
	"1.0b2",
	"1.0b2.post345.dev456",
	"1.0b2.post345",
	"1.0b2-346",
	"1.0rc0",
	"1.0rc1.dev1",
	"1.0c1",
	"1.0rc2",
	"1.0",
	"1.0.post0.dev0",
	"1.0.post0",
	"1.0.post456.dev34",
	"1.0.post456",
	"1.0.post456+local",
	"1.0.1.dev1",
	"1.0.1a1",
	"1.0.1",
	"1.0.1+local",
	"1.0.1.post1",
	"1.1.dev1",
	"1.2+a",
	"1.2+abc",
	"1.2+abcdef",
	"1.2+def",
	"1.2+0",
	"1.2+1",
	"1.2+1.abc",
	"1.2+1.1",
	"1.2+1.1.0",
	"1.2+2",
	"1.2+123",
	"1.2+123456",
	"1.2.r32+123456",
	"1.2.rev33+123456",
	"1!1.0.dev0",
	"1!1.0.dev456",
	"1!1.0.dev456+local",
	"1!1.0a0",
	"1!1.0a0.post0.dev0",
	"1!1.0a0.post0",
	"1!1.0a1.dev1",
	"1!1.0a1.dev1+local",
	"1!1.0a1",
	"1!1.0a1+local",
	"1!1.0b0",
	"1!1.0b1.dev456",
	"1!1.0b2",
	"1!1.0b2.post345.dev456",
	"1!1.0b2.post345",
	"1!1.0b2-346",
	"1!1.0rc0",
	"1!1.0rc1.dev1",
	"1!1.0c1",
	"1!1.0rc2",
	"1!1.0",
	"1!1.0.post0.dev0",
	"1!1.0.post0",
	"1!1.0.post456.dev34",
	"1!1.0.post456",
	"1!1.0.post456+local",
	"1!1.0.1.dev1",
	"1!1.0.1a1",
	"1!1.0.1",
	"1!1.0.1+local",
	"1!1.0.1.post1",
	"1!1.1.dev1",
	"1!1.2+a",
	"1!1.2+abc",
	"1!1.2+abcdef",
	"1!1.2+def",
	"1!1.2+0",
	"1!1.2+1",
	"1!1.2+1.abc",
	"1!1.2+1.1",
	"1!1.2+1.1.0",
	"1!1.2+2",
	"1!1.2+123",
	"1!1.2+123456",
	"1!1.2.r32+123456",
	"1!1.2.rev33+123456",
]

test_success_packaging_sorted_versions if {
	every i, a in packaging_sorted_versions {
		version.compare("python", a, a) == 0
		every b in array.slice(packaging_sorted_versions, i + 1, count(packaging_sorted_versions)) {
			version.compare("python", a, b) == -1
		}
	}
}

test_success_packaging_sorted_versions_reversed if {
	every i, a in array.slice(packaging_sorted_versions, 1, count(packaging_sorted_versions)) {
		version.compare("python", a, packaging_sorted_versions[i]) == 1
	}
}

# test_normalized_versions and test_version_str_repr of packaging's
# tests/test_version.py: each version equals its normal form (spellings of
# pre/post/dev, case, implicit numbers, leading zeros, epochs, "v", blanks).
packaging_normalized_versions := [
	["1.0dev", "1.0.dev0"],
	["1.0.dev", "1.0.dev0"],
	["1.0dev1", "1.0.dev1"],
	["1.0-dev", "1.0.dev0"],
	["1.0-dev1", "1.0.dev1"],
	["1.0DEV", "1.0.dev0"],
	["1.0.DEV", "1.0.dev0"],
	["1.0DEV1", "1.0.dev1"],
	["1.0.DEV1", "1.0.dev1"],
	["1.0-DEV", "1.0.dev0"],
	["1.0-DEV1", "1.0.dev1"],
	["1.0a", "1.0a0"],
	["1.0.a", "1.0a0"],
	["1.0.a1", "1.0a1"],
	["1.0-a", "1.0a0"],
	["1.0-a1", "1.0a1"],
	["1.0alpha", "1.0a0"],
	["1.0.alpha", "1.0a0"],
	["1.0.alpha1", "1.0a1"],
	["1.0-alpha", "1.0a0"],
	["1.0-alpha1", "1.0a1"],
	["1.0A", "1.0a0"],
	["1.0.A", "1.0a0"],
	["1.0.A1", "1.0a1"],
	["1.0-A", "1.0a0"],
	["1.0-A1", "1.0a1"],
	["1.0ALPHA", "1.0a0"],
	["1.0.ALPHA", "1.0a0"],
	["1.0.ALPHA1", "1.0a1"],
	["1.0-ALPHA", "1.0a0"],
	["1.0-ALPHA1", "1.0a1"],
	["1.0b", "1.0b0"],
	["1.0.b", "1.0b0"],
	["1.0.b1", "1.0b1"],
	["1.0-b", "1.0b0"],
	["1.0-b1", "1.0b1"],
	["1.0beta", "1.0b0"],
	["1.0.beta", "1.0b0"],
	["1.0.beta1", "1.0b1"],
	["1.0-beta", "1.0b0"],
	["1.0-beta1", "1.0b1"],
	["1.0B", "1.0b0"],
	["1.0.B", "1.0b0"],
	["1.0.B1", "1.0b1"],
	["1.0-B", "1.0b0"],
	["1.0-B1", "1.0b1"],
	["1.0BETA", "1.0b0"],
	["1.0.BETA", "1.0b0"],
	["1.0.BETA1", "1.0b1"],
	["1.0-BETA", "1.0b0"],
	["1.0-BETA1", "1.0b1"],
	["1.0c", "1.0rc0"],
	["1.0.c", "1.0rc0"],
	["1.0.c1", "1.0rc1"],
	["1.0-c", "1.0rc0"],
	["1.0-c1", "1.0rc1"],
	["1.0rc", "1.0rc0"],
	["1.0.rc", "1.0rc0"],
	["1.0.rc1", "1.0rc1"],
	["1.0-rc", "1.0rc0"],
	["1.0-rc1", "1.0rc1"],
	["1.0C", "1.0rc0"],
	["1.0.C", "1.0rc0"],
	["1.0.C1", "1.0rc1"],
	["1.0-C", "1.0rc0"],
	["1.0-C1", "1.0rc1"],
	["1.0RC", "1.0rc0"],
	["1.0.RC", "1.0rc0"],
	["1.0.RC1", "1.0rc1"],
	["1.0-RC", "1.0rc0"],
	["1.0-RC1", "1.0rc1"],
	["1.0post", "1.0.post0"],
	["1.0.post", "1.0.post0"],
	["1.0post1", "1.0.post1"],
	["1.0-post", "1.0.post0"],
	["1.0-post1", "1.0.post1"],
	["1.0POST", "1.0.post0"],
	["1.0.POST", "1.0.post0"],
	["1.0POST1", "1.0.post1"],
	["1.0r", "1.0.post0"],
	["1.0rev", "1.0.post0"],
	["1.0.POST1", "1.0.post1"],
	["1.0.r1", "1.0.post1"],
	["1.0.rev1", "1.0.post1"],
	["1.0-POST", "1.0.post0"],
	["1.0-POST1", "1.0.post1"],
	["1.0-5", "1.0.post5"],
	["1.0-r5", "1.0.post5"],
	["1.0-rev5", "1.0.post5"],
	["1.0+AbC", "1.0+abc"],
	["1.01", "1.1"],
	["1.0a05", "1.0a5"],
	["1.0b07", "1.0b7"],
	["1.0c056", "1.0rc56"],
	["1.0rc09", "1.0rc9"],
	["1.0.post000", "1.0.post0"],
	["1.1.dev09000", "1.1.dev9000"],
	["00!1.2", "1.2"],
	["0100!0.0", "100!0.0"],
	["v1.0", "1.0"],
	["   v1.0\t\n", "1.0"],
	["\u202f1.0\t\u2029\n ", "1.0"],
	["0!1.0.2", "1.0.2"],
	["0!1.0.4+8.0", "1.0.4+8.0"],
]

test_success_packaging_normalized_versions if {
	every row in packaging_normalized_versions {
		[a, b] := row
		version.compare("python", a, b) == 0
	}
}

test_success_pep440_implicit_zeros if {
	version.eq("python", "1", "1.0.0")
	version.eq("python", "1.0a", "1.0a0")
	version.eq("python", "1.0.post", "1.0.post0")
	version.eq("python", "1.0-0", "1.0.post0")
	version.eq("python", "1.0.dev", "1.0.dev0")
	version.eq("python", "0!1.0", "1.0")
	version.eq("python", "1.0+1.0", "1.0+1.00")
	version.lt("python", "1.0+1", "1.0+1.0")
}

# The release-only shortcut orders like the full sort key.
test_success_pep440_plain_releases_match_the_full_key if {
	releases := ["0", "0.0", "1", "1.0", "1.0.0", "1.0.1", "1.01", "1.1", "1.10", "1.9", "2", "10.0.0.0.1", "007.0"]
	every a in releases {
		every b in releases {
			version.compare("python", a, b) == version._cmp(version._pep440_key(a), version._pep440_key(b))
		}
	}
}

# test_invalid_versions of packaging's tests/test_version.py: compared by
# the generic scheme instead.
packaging_invalid_versions := [
	"french toast",
	"1.0+a+",
	"1.0++",
	"1.0+_foobar",
	"1.0+foo&asd",
	"1.0+1+1",
	"1. 0",
	"1 .0",
	"1. 0a1",
	"1 .0a1",
	"1.0 a1",
	"1.0a 1",
	"\u0660\u0661\u0662.\u0663\u0664\u0665.\u0666\u0667\u0668\u0669",
	".",
	"..",
	"1..0",
	"1.0.",
	".1.0",
	"1..2.3",
	"1.0+\u0130",
]

test_success_pep440_invalid_versions_fall_back_to_generic if {
	every x in packaging_invalid_versions {
		version.compare("python", x, "1.0") == version.compare("generic", x, "1.0")
	}
}

test_fail_dev_release_is_not_after_pre_release if {
	not version.gt("python", "1.0.dev0", "1.0a0")
	not version.gt("python", "1.0a1.dev1", "1.0a1")
}

test_fail_local_version_is_not_below_public if {
	not version.lt("python", "1.0+local", "1.0")
	not version.eq("python", "1.0+local", "1.0")
}

test_fail_post_release_is_not_below_release if {
	not version.lt("python", "1.0.post1", "1.0")
	not version.lt("python", "1.0-1", "1.0")
}
