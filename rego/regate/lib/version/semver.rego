# Semantic Versioning 2.0.0 precedence, leniently parsed.
#
# major.minor.patch compare numerically; a version with a pre-release sorts
# before the same version without one; pre-release identifiers compare one
# by one, numeric ones as integers and below alphanumeric ones (compared in
# ASCII order), and more identifiers win when all before are equal. Build
# metadata ("+...") is ignored.
#
# Lenient: a leading "v" or "V", surrounding whitespace, leading zeros and a
# missing minor or patch ("1.2" is "1.2.0", "v1" is "1.0.0") are accepted.
# Anything else (four components, "1.2.3.RELEASE", ...) falls back to the
# generic scheme.
#
# Strict versions (OPA's semver.is_valid, which also takes a leading "v")
# are compared with OPA's semver.compare; the rest with the sort key below,
# which orders strict versions identically (the tests check both).
package regate.lib.version

_semver_compare(a, b) := semver.compare(a, b) if {
	semver.is_valid(a)
	semver.is_valid(b)

	# OPA 1.22's semver.compare never returns for two numeric pre-release
	# identifiers beyond int64 ("1.0.0-99999999999999999999999"): numbers
	# of 19 digits or more take the sort key.
	not regex.match(`[0-9]{19}`, concat(" ", [a, b]))
} else := _cmp(_semver_key(a), _semver_key(b))

# Groups: 1 major, 2 minor, 3 patch, 4 pre-release.
_semver_re := `^[vV]?([0-9]+)(?:\.([0-9]+))?(?:\.([0-9]+))?(?:-([0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*))?(?:\+[0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*)?$`

_semver_key(v) := [_num(m[1]), _num(m[2]), _num(m[3]), _semver_pre(m[4])] if {
	m := regex.find_all_string_submatch_n(_semver_re, trim_space(v), 1)[0]
}

# No pre-release sorts after any pre-release of the same version.
_semver_pre("") := [1]

_semver_pre(p) := [0, [_semver_identifier(i) | some i in split(p, ".")]] if p != ""

_semver_identifier(i) := [0, _num(i)] if {
	_all_digits(i)
} else := [1, i]
