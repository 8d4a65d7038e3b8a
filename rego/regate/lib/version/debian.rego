# Debian (dpkg) version ordering: [epoch:]upstream[-revision].
#
# dpkg compares the epochs as integers, then the upstream versions, then the
# revisions, each with verrevcmp: the text is a sequence of pairs (a run of
# non-digits, a run of digits). Non-digit runs compare character by
# character with the weights
#   '~' < end of run < letters (ASCII order) < any other character (ASCII order)
# and digit runs compare as integers (an empty run is 0); a missing pair is
# an empty run followed by 0.
#
# Both versions are turned into strings whose plain string order is dpkg's
# order, in a handful of builtin calls for the pair:
#   - every ASCII punctuation character c is rewritten to U+10FF00+c (above
#     any other character) and '~' to U+0001, so the characters sort by
#     dpkg's weights, and non-ASCII characters (which dpkg weighs by their
#     bytes, between letters and punctuation) land between the two;
#   - every run of digits becomes U+0002 (ending the non-digit run before it)
#     plus the digits left-padded with zeros to a common width, and a part
#     ending in non-digits gets U+0002 and only zeros (its implicit 0);
#   - epoch, upstream and revision are each followed by "\n", which sorts
#     between '~' and everything else, exactly like the end of a part.
package regate.lib.version

_debian_weight := {
	"~": "\u0001",
	"!": "\udbff\udf21",
	"\"": "\udbff\udf22",
	"#": "\udbff\udf23",
	"$": "\udbff\udf24",
	"%": "\udbff\udf25",
	"&": "\udbff\udf26",
	"'": "\udbff\udf27",
	"(": "\udbff\udf28",
	")": "\udbff\udf29",
	"*": "\udbff\udf2a",
	"+": "\udbff\udf2b",
	",": "\udbff\udf2c",
	"-": "\udbff\udf2d",
	".": "\udbff\udf2e",
	"/": "\udbff\udf2f",
	":": "\udbff\udf3a",
	";": "\udbff\udf3b",
	"<": "\udbff\udf3c",
	"=": "\udbff\udf3d",
	">": "\udbff\udf3e",
	"?": "\udbff\udf3f",
	"@": "\udbff\udf40",
	"[": "\udbff\udf5b",
	"\\": "\udbff\udf5c",
	"]": "\udbff\udf5d",
	"^": "\udbff\udf5e",
	"_": "\udbff\udf5f",
	"`": "\udbff\udf60",
	"{": "\udbff\udf7b",
	"|": "\udbff\udf7c",
	"}": "\udbff\udf7d",
}

# The epoch: digits up to INT_MAX, dpkg's limit.
_debian_epoch_re := `0*(?:[1-9][0-9]{0,8}|1[0-9]{9}|20[0-9]{8}|21[0-3][0-9]{7}|214[0-6][0-9]{6}|2147[0-3][0-9]{5}|21474[0-7][0-9]{4}|214748[0-2][0-9]{3}|2147483[0-5][0-9]{2}|21474836[0-3][0-9]|214748364[0-7])|0+`

# One weighted version (colon and hyphen appear as U+10FF3A and U+10FF2D),
# between optional blanks, in one of four forms:
#   epoch:upstream-revision  (groups 1-3; the revision follows the last hyphen)
#   epoch:upstream           (groups 4-5; no hyphen at all)
#   upstream-revision        (groups 6-7; no colon at all)
#   upstream                 (group 8; neither)
# The upstream version is never empty; a colon means the text before the
# first one is the epoch; whitespace inside a version is a dpkg error.
_debian_version_re := concat("", [
	`[ \t]*(?:(`, _debian_epoch_re, `)\x{10ff3a}(\S+?)\x{10ff2d}([^\s\x{10ff2d}]*)`,
	`|(`, _debian_epoch_re, `)\x{10ff3a}([^\s\x{10ff2d}]+)`,
	`|([^\s\x{10ff3a}]+?)\x{10ff2d}([^\s\x{10ff2d}\x{10ff3a}]*)`,
	`|([^\s\x{10ff2d}\x{10ff3a}]+))[ \t]*`,
])

# Two weighted versions joined by a newline (groups 1-8 and 9-16).
_debian_pair_re := concat("", ["^", _debian_version_re, "\n", _debian_version_re, "$"])

# The parts of both versions, one per line (epoch, upstream, revision), and
# a tab line around each version to cut the result into two sort keys.
_debian_parts := "\t\n${1}${4}\n${2}${5}${6}${8}\n${3}${7}\n\t\n${9}${12}\n${10}${13}${14}${16}\n${11}${15}\n\t"

# Undefined where dpkg reports a parse error for a or b (empty version or
# upstream, bad or too big epoch, whitespace inside); compare then falls
# back to the generic scheme. dpkg's mere warnings (upstream not starting
# with a digit, unusual characters) do not stop it comparing, nor this. An
# empty revision ("1.0-") counts as none, as in Dpkg::Version.
_debian_compare(a, b) := _cmp(keys[1], keys[2]) if {
	pair := concat("\n", [a, b])
	weighted := strings.replace_n(_debian_weight, pair)
	parts := regex.replace(weighted, _debian_pair_re, _debian_parts)
	parts != weighted # both versions parsed
	keys := split(_pad_numbers(parts, `(?m)[0-9]+|$`, "\u0002", pair), "\t")
}
