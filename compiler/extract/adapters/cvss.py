"""CVSS scores in every shape scanners write them, as one list shape.

An entry is `{source, type, version, vector, base, exploitability, impact}`
with the fields the scanner gave. `nvd_cvss`/`vendor_cvss` summarise the list:
the highest CVSS v3.x base score published by NVD, and by anyone else.
"""

from __future__ import annotations

import re

from .view import View

_NVD_SOURCES = {"nvd", "nvd@nist.gov", "nist"}
_V3_VERSION = re.compile(r"^CVSS:(\d\.\d)/")
_V2_VECTOR = re.compile(r"^\(?AV:[LAN]/AC:[HML]/Au:[MSN]/")
_CYCLONEDX_METHODS = {"CVSSv2": "2.0", "CVSSv3": "3.0", "CVSSv31": "3.1", "CVSSv4": "4.0"}


def is_nvd(source: str) -> bool:
    source = source.lower()
    return source in _NVD_SOURCES or source.startswith("nvd:")


def version_of(vector: str, given: str = "") -> str:
    """The CVSS version a vector is written in (`CVSS:3.1/...` → 3.1; bare v2 vectors → 2.0)."""
    if given:
        return given
    match = _V3_VERSION.match(vector)
    if match:
        return match[1]
    return "2.0" if _V2_VECTOR.match(vector) else ""


def entry(source: str, kind: str, version: str, vector: str, base, exploitability=None, impact=None) -> dict | None:
    out: dict = {}
    if source:
        out["source"] = source
    if kind:
        out["type"] = kind.lower()
    version = version_of(vector, version)
    if version:
        out["version"] = version
    if vector:
        out["vector"] = vector
    for name, value in (("base", base), ("exploitability", exploitability), ("impact", impact)):
        if value is not None:
            out[name] = value
    return out if ("base" in out or "vector" in out) else None


def from_grype(item: View, fallback_source: str) -> dict | None:
    """Grype's `cvss[]` items; metrics sit under `metrics` since 0.2x, at the top before."""
    metrics = item.obj("metrics") if item.has("metrics") else item
    return entry(
        item.str("source") or fallback_source,
        item.str("type"),
        item.str("version"),
        item.str("vector"),
        metrics.num("baseScore"),
        metrics.num("exploitabilityScore"),
        metrics.num("impactScore"),
    )


def from_trivy(cvss: View) -> list[dict]:
    """Trivy's `CVSS` object: one member per source, each with V2 and/or V3 (and V40) scores."""
    out = []
    for source, scores in cvss.entries():
        scores.expect_object()
        for prefix, default_version in (("V2", "2.0"), ("V3", "3.0"), ("V40", "4.0")):
            vector = scores.str(f"{prefix}Vector")
            version = version_of(vector) or default_version
            found = entry(source, "", version, vector, scores.num(f"{prefix}Score"))
            if found:
                out.append(found)
    return out


def from_cyclonedx(rating: View) -> dict | None:
    method = rating.str("method")
    if method and method not in _CYCLONEDX_METHODS:
        return None  # OWASP risk ratings, EPSS and "other" are not CVSS
    vector = rating.str("vector")
    return entry(rating.obj("source").str("name"), "", _CYCLONEDX_METHODS.get(method, ""), vector, rating.num("score"))


def _highest_v3(entries: list[dict]) -> tuple[dict | None, dict | None]:
    """The CVSS v3.x entries with the highest base score published by NVD and by anyone else (the
    first of equal scores), in one pass: a report summarises thousands of records."""
    nvd = vendor = None
    for e in entries:
        if "base" in e and e.get("version", "").startswith("3"):
            if is_nvd(e.get("source", "")):
                if nvd is None or e["base"] > nvd["base"]:
                    nvd = e
            elif vendor is None or e["base"] > vendor["base"]:
                vendor = e
    return nvd, vendor


def summarise(own: list[dict], related: list[dict]) -> dict:
    """`nvd_cvss` and `vendor_cvss` from a record's own scores, else from its related records'."""
    own_nvd, own_vendor = _highest_v3(own)
    related_nvd, related_vendor = _highest_v3(related)
    out = {}
    for field, best in (("nvd_cvss", own_nvd or related_nvd), ("vendor_cvss", own_vendor or related_vendor)):
        if best:
            out[field] = {name: best[name] for name in ("base", "exploitability", "impact") if name in best}
    return out
