# Alpine (apk-tools) version ordering:
#   digit{.digit}...{letter}{_suffix{digits}}...{~hash}{-r#}
#
# apk compares token by token while both versions have a token of the same
# type; same-type tokens compare by value:
#   the first number and suffix/revision numbers as integers;
#   later dot-separated numbers as integers, unless either starts with '0',
#   in which case as strings (Gentoo's rule);
#   letters and commit hashes as strings;
#   suffixes in the order _alpha < _beta < _pre < _rc < (none) < _cvs < _svn
#   < _git < _hg < _p.
# At the first token whose type differs, a pre-release suffix (_alpha _beta
# _pre _rc) makes its version the lower one; otherwise the version whose
# token type comes later in the list digit, letter, suffix, suffix number,
# hash, revision, end is the lower one.
#
# The key gives each token [rank, value] with rank = -(token type), pre
# suffixes -10, and ends with [-7] for the end of the version. Versions apk
# considers invalid (apk_version_validate) fall back to the generic scheme.
package regate.lib.version

_alpine_re := `^[0-9]+(?:\.[0-9]+)*[a-z]?(?:_(?:alpha|beta|pre|rc|cvs|svn|git|hg|p)[0-9]*)*(?:~[0-9a-f]+)?(?:-r[0-9]+)?$`

# Token values of the suffixes: [rank, apk's suffix number].
_alpine_suffix := {
	"_alpha": [-10, 1],
	"_beta": [-10, 2],
	"_pre": [-10, 3],
	"_rc": [-10, 4],
	"_cvs": [-3, 6],
	"_svn": [-3, 7],
	"_git": [-3, 8],
	"_hg": [-3, 9],
	"_p": [-3, 10],
}

_alpine_key(v) := array.concat(
	[_alpine_token(i, t) | some i, t in regex.find_n(`\.[0-9]+|[0-9]+|[a-z]|_[a-z]+|~[0-9a-f]+|-r[0-9]+`, v, -1)],
	[[-7]],
) if {
	regex.match(_alpine_re, v)
}

# The version starts with its first number (type 0).
_alpine_token(0, t) := [0, _num(t)]

_alpine_token(i, t) := _alpine_later_token(t) if i != 0

_alpine_later_token(t) := [-1, _alpine_digits(substring(t, 1, -1))] if {
	startswith(t, ".")
} else := _alpine_suffix[t] if {
	startswith(t, "_")
} else := [-5, substring(t, 1, -1)] if {
	startswith(t, "~")
} else := [-6, _num(substring(t, 2, -1))] if {
	startswith(t, "-r")
} else := [-4, _num(t)] if {
	# a bare number can only follow a suffix; tokens left are one letter
	_all_digits(t)
} else := [-2, t]

# A leading zero anywhere makes apk compare the pair as strings; every
# string starting with '0' sorts below every number that does not.
_alpine_digits(d) := [0, d] if {
	startswith(d, "0")
} else := [1, _num(d)]
