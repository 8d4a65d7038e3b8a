# Generic fallback ordering, for ecosystems without a scheme of their own
# (Java archives, Jenkins plugins, binaries, ...) and for versions another
# scheme cannot parse.
#
# The version (trimmed, lower-cased, without a "v" right before a digit) is
# split into runs of digits and runs of non-digits; ASCII punctuation and
# whitespace only separate runs and are dropped ("1.2.3.RELEASE" is 1 2 3
# "release", "1.0-1" equals "1.0.1"). Runs compare in turn: numbers as
# integers, text in code point order, and a number above text ("1.2.3.4" >
# "1.2.3.RELEASE", "1.0.1" > "1.0-SNAPSHOT"). When one version is a prefix of
# the other the longer one wins ("2.14.1" < "2.14.1.1", "1.0" < "1.0.0").
#
# Both versions become strings whose plain string order is that order: text
# runs start with U+0001, numbers with U+0002 (so a number beats text) and
# are left-padded with zeros to one width; separators are dropped once the
# runs around them are marked.
package regate.lib.version

_generic_compare(a, b) := _cmp(keys[0], keys[1]) if {
	text := concat("\n", [_generic_text(a), _generic_text(b)])
	keys := split(replace(_pad_numbers(text, `[0-9]+`, "\u0002", text), "\u0003", ""), "\n")
}

# Lower-cased, without a "v" right before a digit, text runs marked with
# U+0001, separators (ASCII punctuation, whitespace) turned into U+0003.
_generic_text(v) := regex.replace(
	regex.replace(regex.replace(lower(trim_space(v)), `^v([0-9])`, "$1"), `[^0-9[:punct:][:space:]]+`, "\u0001$0"),
	`[[:punct:][:space:]]+`,
	"\u0003",
)
