# METADATA
# title: Lowest upgrades for `regate check --explain`
# description: |
#   For each package, the lowest version that clears every vulnerability on it
#   that names a fix, ordered by the ecosystem ordering of the Rego library
#   shipped in every bundle (data.regate.lib.version), so the plan and the
#   policies can never disagree about which version is newer.
#
#   input.packages[key] = {"type", "version", "fixes": {vuln key: [fix versions]}}
#   upgrades[key] = {"target", "cleared": [vuln keys], "unfixable": [vuln keys]}
package regate.explain

import data.regate.lib.version

upgrades[key] := {"target": target, "cleared": cleared, "unfixable": unfixable} if {
	some key, pkg in input.packages
	lowest := {vuln: low |
		some vuln, fixes in pkg.fixes
		low := _lowest(pkg.type, pkg.version, fixes)
	}
	count(lowest) > 0
	target := _highest(pkg.type, {v | some v in lowest})
	cleared := sort([vuln | some vuln, fixes in pkg.fixes; _reached(pkg.type, pkg.version, fixes, target)])
	unfixable := sort([vuln | some vuln, _ in pkg.fixes; not lowest[vuln]])
}

# The lowest fix version above the installed one; ties between spellings of
# one version ("1.0", "1.0.0") go to the first string, for a stable answer.
_lowest(ecosystem, installed, fixes) := sort(lows)[0] if {
	above := {f | some f in fixes; version.gt(ecosystem, f, installed)}
	lows := {f | some f in above; every g in above { not version.lt(ecosystem, g, f) }}
	count(lows) > 0
}

_highest(ecosystem, candidates) := sort(highs)[0] if {
	highs := {v | some v in candidates; every w in candidates { not version.gt(ecosystem, w, v) }}
}

_reached(ecosystem, installed, fixes, target) if {
	some f in fixes
	version.gt(ecosystem, f, installed)
	not version.gt(ecosystem, f, target)
}
