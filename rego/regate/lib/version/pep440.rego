# PEP 440 ordering, exactly as packaging.version.Version orders versions.
#
# The key mirrors packaging's _cmpkey:
#   [epoch, release without trailing zeros, [pre, post, dev], local?]
#   pre:  [-1, 0] dev-only release (1.0.dev1 < 1.0a0), [0|1|2, n] for
#         a/b/rc (alpha, beta, c, pre, preview are spellings of these),
#         [3, 0] no pre-release;
#   post: [0, 0] none, [1, n] for .postN, -N, revN, rN;
#   dev:  [0, n] for .devN, [1, 0] none;
#   local: present only with "+local", each part [1, n] if numeric, else
#         [0, text], so text parts sort before numbers and a longer local
#         version wins when one is a prefix of the other.
# Missing numbers are an implicit 0; case, separators and a leading "v" do
# not matter. Anything packaging rejects falls back to the generic scheme.
package regate.lib.version

# packaging's VERSION_PATTERN (matched on the lower-cased version), with the
# groups 1 epoch, 2 release, 3 pre letter, 4 pre number, 5 implicit post
# number (1.0-5), 6 post letter, 7 post number, 8 dev, 9 dev number, 10 local.
_pep440_re := `^v?(?:([0-9]+)!)?([0-9]+(?:\.[0-9]+)*)(?:[._-]?(alpha|a|beta|b|preview|pre|c|rc)[._-]?([0-9]+)?)?(?:-([0-9]+)|[._-]?(post|rev|r)[._-]?([0-9]+)?)?(?:[._-]?(dev)[._-]?([0-9]+)?)?(?:\+([a-z0-9]+(?:[._-][a-z0-9]+)*))?$`

# Plain releases ("1.2.3", the usual case) compare as their numbers with
# trailing zeros removed, padded to one width: string order is then the
# tuple order. Everything else goes through the full sort key.
_pep440_compare(a, b) := _cmp(keys[0], keys[1]) if {
	regex.match(`^[0-9]+(?:\.[0-9]+)*$`, a)
	regex.match(`^[0-9]+(?:\.[0-9]+)*$`, b)
	releases := regex.replace(concat("\n", [a, b]), `(?m)(?:\.0+)+$`, "")
	keys := split(_pad_numbers(releases, `[0-9]+`, "", releases), "\n")
} else := _cmp(_pep440_key(a), _pep440_key(b))

_pep440_pre_rank := {
	"a": 0,
	"alpha": 0,
	"b": 1,
	"beta": 1,
	"c": 2,
	"pre": 2,
	"preview": 2,
	"rc": 2,
}

_pep440_key(v) := array.concat(
	[_num(m[1]), _pep440_release(m[2]), [_pep440_pre(m), _pep440_post(m), _pep440_dev(m)]],
	_pep440_local(m[10]),
) if {
	s := trim_space(v)

	# packaging matches case-insensitively in ASCII only: lower-casing must
	# not turn e.g. "K" (Kelvin sign) or "İ" into an ASCII letter.
	regex.match(`^[\x00-\x7f]*$`, s)
	m := regex.find_all_string_submatch_n(_pep440_re, lower(s), 1)[0]
}

# Release numbers without trailing zeros (1.0.0 == 1.0 == 1) and without
# leading zeros (so [length, digits] orders them as numbers).
_pep440_release(r) := [[count(n), n] |
	some n in split(regex.replace(regex.replace(r, `(?:\.0+)+$`, ""), `(^|\.)0+([0-9])`, "${1}${2}"), ".")
]

_pep440_pre(m) := [-1, [0, ""]] if {
	m[3] == ""
	m[5] == ""
	m[6] == ""
	m[8] != ""
} else := [3, [0, ""]] if {
	m[3] == ""
} else := [_pep440_pre_rank[m[3]], _num(m[4])]

_pep440_post(m) := [0, [0, ""]] if {
	m[5] == ""
	m[6] == ""
} else := [1, _num(concat("", [m[5], m[7]]))]

_pep440_dev(m) := [1, [0, ""]] if {
	m[8] == ""
} else := [0, _num(m[9])]

_pep440_local("") := []

_pep440_local(l) := [[_pep440_local_part(p) | some p in regex.split(`[._-]`, l)]] if l != ""

_pep440_local_part(p) := [1, _num(p)] if {
	_all_digits(p)
} else := [0, p]
