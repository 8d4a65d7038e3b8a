# RPM version ordering: [epoch:]version[-release], as rpm's rpmverCmp and
# rpmvercmp (rpm >= 4.15, with caret support) order them.
#
# rpmvercmp ignores everything but ASCII letters, digits, '~' and '^', and
# compares the remaining segments in turn:
#   '~' sorts before anything, even the end of the version;
#   '^' sorts after the end of the version but before any other segment;
#   a numeric segment beats an alphabetic one;
#   numeric segments compare as integers (leading zeros ignored), alphabetic
#   ones with strcmp; the version with segments left over wins.
# Both versions become strings whose plain string order is that order: each
# segment starts with a marker character, '~' U+0001 < end of part "\n" <
# '^' U+000B < letters U+000C < digits U+000E, and digits are left-padded
# with zeros to a common width.
#
# As in rpm, a missing epoch is 0, and the release is compared only when
# both versions have one: "1.0" equals both "1.0-1" and "1.0-2" (so this
# ordering is not transitive across versions with and without releases).
package regate.lib.version

# Two versions joined by a tab. Per version: an epoch only when the version
# starts with digits and a colon (rpm's parseEVR), the version, and the
# release after the last hyphen (groups 1-3 and 4-6). A tab or newline
# inside a version (which rpm would treat as a separator) sends the pair to
# the generic scheme.
_rpm_version_re := `(?:([0-9]*):)?([^\t\n]*?)(?:-([^\t\n-]*))?`

_rpm_pair_re := concat("", ["^", _rpm_version_re, "\t", _rpm_version_re, "$"])

# The parts of both versions, each ended by a newline, the versions
# separated by a tab. "0" in front of the epoch makes a missing epoch 0.
# The release is left out unless both versions have one.
_rpm_parts(a, b) := "0${1}\n${2}\n${3}\n\t0${4}\n${5}\n${6}\n" if {
	contains(a, "-")
	contains(b, "-")
} else := "0${1}\n${2}\n\n\t0${4}\n${5}\n\n"

_rpm_compare(a, b) := _cmp(keys[0], keys[1]) if {
	pair := concat("\t", [a, b])
	parts := regex.replace(pair, _rpm_pair_re, _rpm_parts(a, b))
	parts != pair # no tab or newline inside a version

	# separators become U+0010 (removed at the end, once every segment has
	# its marker), then letters, '~' and '^' get their markers
	segments := strings.replace_n(
		{"~": "\u0001", "^": "\u000b"},
		regex.replace(regex.replace(parts, `[^0-9A-Za-z~^\t\n]+`, "\u0010"), `[A-Za-z]+`, "\u000c$0"),
	)
	keys := split(replace(_pad_numbers(segments, `[0-9]+`, "\u000e", pair), "\u0010", ""), "\t")
}
