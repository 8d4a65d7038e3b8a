# METADATA
# title: Ecosystem-aware version comparison
# description: |
#   Compares package versions the way the ecosystem's own tooling does:
#   dpkg for Debian, rpmvercmp for RPM, apk-tools for Alpine, PEP 440
#   (packaging.version) for Python, SemVer 2.0.0 for most language
#   ecosystems, and a generic digit/non-digit ordering for the rest.
#
#   Every scheme turns both versions into sort keys, strings or nested
#   arrays whose order under Rego's comparison of values is the scheme's
#   order, built with a few regex/replace/sprintf calls rather than
#   per-character work; a comparison is then one ordering of two values. A
#   version that a scheme cannot parse makes that comparison fall back to the
#   generic scheme for both sides, so `compare` is defined for any two
#   strings.
package regate.lib.version

# Package types as Syft names them (plus the usual aliases) and the scheme
# names themselves; anything missing here is compared generically.
_schemes := {
	"deb": "debian",
	"debian": "debian",
	"rpm": "rpm",
	"apk": "alpine",
	"alpine": "alpine",
	"python": "pep440",
	"pep440": "pep440",
	"npm": "semver",
	"go-module": "semver",
	"gem": "semver",
	"rust-crate": "semver",
	"cargo": "semver",
	"composer": "semver",
	"php-composer": "semver",
	"nuget": "semver",
	"dotnet": "semver",
	"hex": "semver",
	"pub": "semver",
	"dart-pub": "semver",
	"swift": "semver",
	"cocoapods": "semver",
	"pod": "semver",
	"conan": "semver",
	"semver": "semver",
	"java-archive": "generic",
	"jenkins-plugin": "generic",
	"binary": "generic",
	"generic": "generic",
}

# METADATA
# title: scheme
# description: |
#   The version scheme used for an ecosystem: one of "debian", "rpm",
#   "alpine", "pep440", "semver" or "generic". `ecosystem` is a Syft package
#   type ("deb", "rpm", "apk", "python", "npm", "go-module", ...) or a scheme
#   name; unknown ecosystems use "generic".
scheme(ecosystem) := object.get(_schemes, ecosystem, "generic")

# METADATA
# title: compare
# description: |
#   Compares versions `a` and `b` under the scheme of `ecosystem` (see
#   `scheme`): -1 if a < b, 0 if they are equal, 1 if a > b. Defined for any
#   two strings: when either version cannot be parsed by the ecosystem's
#   scheme, both are compared with the generic scheme instead. Undefined when
#   a or b is not a string.
compare(ecosystem, a, b) := 0 if {
	is_string(a)
	a == b
} else := _compare(object.get(_schemes, ecosystem, "generic"), a, b) if {
	is_string(a)
	is_string(b)
}

# METADATA
# title: lt
# description: True if version `a` sorts before `b` under the scheme of `ecosystem`, false otherwise.
lt(ecosystem, a, b) := compare(ecosystem, a, b) == -1

# METADATA
# title: lte
# description: True if version `a` sorts before or equal to `b` under the scheme of `ecosystem`, false otherwise.
lte(ecosystem, a, b) := compare(ecosystem, a, b) != 1

# METADATA
# title: gt
# description: True if version `a` sorts after `b` under the scheme of `ecosystem`, false otherwise.
gt(ecosystem, a, b) := compare(ecosystem, a, b) == 1

# METADATA
# title: gte
# description: True if version `a` sorts after or equal to `b` under the scheme of `ecosystem`, false otherwise.
gte(ecosystem, a, b) := compare(ecosystem, a, b) != -1

# METADATA
# title: eq
# description: |
#   True if versions `a` and `b` are equal under the scheme of `ecosystem`
#   (e.g. "1.0" and "1.0.0" in pep440, "1.09" and "1.9" in debian), false
#   otherwise.
eq(ecosystem, a, b) := compare(ecosystem, a, b) == 0

# The comparison under a scheme; the scheme's own comparison is undefined
# when it cannot parse a or b, and the generic one then takes over.
_compare(scheme, a, b) := r if {
	scheme == "debian"
	r := _debian_compare(a, b)
} else := r if {
	scheme == "rpm"
	r := _rpm_compare(a, b)
} else := r if {
	scheme == "semver"
	r := _semver_compare(a, b)
} else := r if {
	scheme == "pep440"
	r := _pep440_compare(a, b)
} else := r if {
	scheme == "alpine"
	r := _cmp(_alpine_key(a), _alpine_key(b))
} else := _generic_compare(a, b)

# Three-way comparison of two sort keys under Rego's total order of values.
#
# NOTE: inside this package the operators <, <=, >, >= and = name the
# functions lt, lte, gt, gte and eq above (a package's own rules shadow the
# built-ins), so the code here compares with _cmp, == and != only.
_cmp(x, y) := 0 if {
	x == y
} else := -1 if {
	sort([x, y])[0] == x
} else := 1

# A run of ASCII digits as an exact, order-preserving key of any length:
# [number of significant digits, the digits without leading zeros]. "007",
# "7" and "" (no digits) give [1, "7"], [1, "7"] and [0, ""].
_num(digits) := [count(t), t] if {
	t := trim_left(digits, "0")
}

# Replaces every match of `numbers` (runs of digits, or empty matches) in
# `text` by `marker` and the matched digits left-padded with zeros to one
# width for all, wider than any run of digits in `source`, so that string
# order on the result is numeric order on the numbers, whatever their
# length. `text` must contain no '%' outside the numbers.
_pad_numbers(text, numbers, marker, source) := sprintf(
	regex.replace(text, numbers, sprintf("%s%%0%ds", [marker, count(regex.replace(source, `[^0-9]+`, "")) + 1])),
	regex.find_n(numbers, text, -1),
)

# A string of ASCII digits only (the empty string counts).
_all_digits(s) if trim_left(s, "0123456789") == ""
