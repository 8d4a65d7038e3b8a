"""vulnerabilities: package, blacklist (gates/vulnerabilities.py)."""

from __future__ import annotations

import operator

from ..model import Rule
from ..params import Params, anchored, string, string_list
from . import Translation, translator

SEVERITIES = ("unknown", "negligible", "low", "medium", "high", "critical")
COMPARISONS = ("=", "!=", "<", ">", "<=", ">=")
_PYTHON = {"=": operator.eq, "!=": operator.ne, "<": operator.lt, ">": operator.gt, "<=": operator.le, ">=": operator.ge}
SCORES = ("base", "exploitability", "impact")
# Anchore compares a missing CVSS score as -1.0 (vulnerabilities.py), so `< 5` matches a record without one.
MISSING_SCORE = -1.0
NOT_WONT_FIX = 'not (v.fix.state == "wont-fix")'


def _op(op: str) -> str:
    return "==" if op == "=" else op


def _score(field: str, op: str, threshold: float) -> str:
    test = f"{field} {_op(op)} {threshold:g}"
    if _PYTHON[op](MISSING_SCORE, threshold):
        return f"(not exists({field}) or {test})"
    return test


PACKAGE_PARAMS = (
    "package_type", "severity_comparison", "severity",
    *(f"{prefix}cvss_v3_{s}_score{suffix}" for prefix in ("", "vendor_") for s in SCORES for suffix in ("", "_comparison")),
    "fix_available", "vendor_only", "max_days_since_creation", "max_days_since_fix", "package_path_exclude",
)


@translator("vulnerabilities", "package")
def package(rule: Rule) -> Translation:
    p = Params(rule, PACKAGE_PARAMS)
    package_type = p.enum("package_type", ("all", "os", "non-os"), required=True)
    severity = p.enum("severity", SEVERITIES, default="unknown")
    comparison = p.enum("severity_comparison", COMPARISONS, default=">")
    fix_available = p.boolean("fix_available")
    vendor_only = p.boolean("vendor_only", default=True)
    conditions = [f"v.severity {_op(comparison)} {severity}"]
    if package_type != "all":
        conditions.append("v.package.os" if package_type == "os" else "not v.package.os")
    exclude = p.text("package_path_exclude")
    if exclude is not None:
        pattern = anchored(exclude, "package_path_exclude")
        conditions.append(f"not (not v.package.os and any(l in v.package.locations where l matches {pattern}))")
    if vendor_only:
        conditions.append(NOT_WONT_FIX)
    created = p.integer("max_days_since_creation")
    if created is not None:
        conditions.append(f"days_since(v.first_seen) >= {created}")
    fixed = p.integer("max_days_since_fix")
    if fix_available and fixed is not None:
        # A fix Anchore has no observation date for does not hold the match back.
        conditions.append(f"(not exists(v.fix.date) or days_since(v.fix.date) >= {fixed})")
    for prefix, field in (("", "v.nvd_cvss"), ("vendor_", "v.vendor_cvss")):
        for score in SCORES:
            name = f"{prefix}cvss_v3_{score}_score"
            threshold = p.number(name)
            if threshold is not None:
                op = p.enum(f"{name}_comparison", COMPARISONS, default=">=")
                conditions.append(_score(f"{field}.{score}", op, threshold))
    if fix_available is not None:
        conditions.append("v.fix.available" if fix_available else "not v.fix.available")
    kind = "" if package_type == "all" else f"{package_type} "
    return Translation(
        title=f"Vulnerability with severity {comparison} {severity}",
        loop="v in vulnerabilities", where=" and ".join(conditions),
        message=f"{{upper(v.severity)}} Vulnerability found in {kind}package type ({{v.package.type}}) - "
                "{v.package.name} {v.package.version} (fixed in: {v.fix.versions}) ({v.id} - {v.urls})",
        # Anchore's id is `<vulnerability>+<name>` for OS packages, else the file name of a Java
        # archive or gem, the directory of an npm package, or `<name>-<version>`.
        trigger_ids=('v.id + "+" + v.package.name', 'v.id + "+" + v.package.name + "-" + v.package.version'),
        exact_trigger_id=_by_file_name)


def _by_file_name(trigger_id: str) -> str | None:
    vulnerability, _, name = trigger_id.partition("+")
    if not name or "/" in name:
        return None
    return (f"v.id == {string(vulnerability)} and not v.package.os and "
            f"any(l in v.package.locations where endswith(l, {string('/' + name)}) or contains(l, {string('/' + name + '/')}))")


@translator("vulnerabilities", "blacklist")
def blacklist(rule: Rule) -> Translation:
    p = Params(rule, ("vulnerability_ids", "vendor_only"))
    ids = p.strings("vulnerability_ids", required=True)
    conditions = [f"v.id in {string_list(ids)}"]
    if p.boolean("vendor_only", default=True):
        conditions.append(NOT_WONT_FIX)
    # One finding for the image, as Anchore fires once with every id it found.
    return Translation(
        title="Denied vulnerabilities present",
        when=f"any(v in vulnerabilities where {' and '.join(conditions)})",
        message=f"Blacklisted vulnerabilities detected: {{count(v in vulnerabilities where {' and '.join(conditions)})}} "
                f"match(es) of {', '.join(ids)}")


