"""Grype JSON, from 0.7's legacy shape to the 0.9x reports with EPSS and risk.

Legacy (before ~0.20): `cvssV2`/`cvssV3` objects without a source,
`fixedInVersion`, `links`, CPEs as attribute objects, `matchDetails` as one
object. Current: `cvss[]` with source and type, `fix.state` (which may be
`""`), `relatedVulnerabilities[]`, `epss[]`, `knownExploited[]`, `risk`.
"""

from __future__ import annotations

from ..base import Extraction, Facts, Source
from ..document import add_entry
from . import cvss, entries
from .normalize import rfc3339, severity, unique
from .coverage_distros import grype_distros
from .syft import artifact_package, distro, image_facts
from .view import View

_FIX_STATES = {"fixed": "fixed", "not-fixed": "not-fixed", "wont-fix": "wont-fix"}


def _namespace_source(namespace: str) -> str:
    """The provider part of a Grype namespace (`redhat:distro:redhat:8` → redhat, `nvd:cpe` → nvd)."""
    return namespace.split(":", 1)[0]


def _matched_by_cpe(match: View) -> bool:
    details = match.raw("matchDetails")
    details = details if isinstance(details, list) else [details]
    for detail in details:
        if isinstance(detail, dict):
            for key in ("searchKey", "searchedBy"):
                searched = detail.get(key)
                if isinstance(searched, dict) and (searched.get("cpe") or searched.get("cpes")):
                    return True
    return False


def _scores(record: View, fallback_source: str) -> list[dict]:
    found = [cvss.from_grype(item, fallback_source) for item in record.arr("cvss")]
    for legacy in ("cvssV2", "cvssV3"):
        if record.has(legacy):
            found.append(cvss.from_grype(record.obj(legacy), fallback_source))
    return [item for item in found if item]


def _fix(vuln: View) -> dict:
    if vuln.raw("fix") is not None:
        fix = vuln.obj("fix")
        versions = fix.strs("versions")
        state = _FIX_STATES.get(fix.str("state").strip().lower(), "unknown")
        dates = []
        available = fix.raw("available")
        if isinstance(available, list):
            for item in fix.arr("available"):
                item.expect_object()
                if not versions or item.str("version") in versions:
                    date = rfc3339(item.str("date"))
                    if date:
                        dates.append(date)
        return entries.fix(state, versions, min(dates) if dates else None)
    legacy = vuln.strs("fixedInVersions") or vuln.strs("fixedInVersion")
    return entries.fix("fixed" if legacy else "unknown", legacy)


def _epss(vuln: View, ids: list[str]) -> dict | None:
    items = [item.expect_object() for item in vuln.arr("epss")]
    if not items:
        return None
    chosen = next((item for vid in ids for item in items if item.str("cve") == vid), None)
    chosen = chosen or max(items, key=lambda item: item.fraction("epss") or 0)
    out = {}
    score, percentile = chosen.fraction("epss"), chosen.fraction("percentile")
    if score is not None:
        out["score"] = score
    if percentile is not None:
        out["percentile"] = percentile
    date = rfc3339(chosen.str("date"))
    if date:
        out["date"] = date
    return out or None


def _vulnerability(match: View, pkg: dict) -> tuple[str, dict]:
    vuln = match.obj("vulnerability")
    vuln_id = vuln.str("id")
    if not vuln_id:
        raise vuln.error("a match without a vulnerability id", "id")
    namespace = vuln.str("namespace")
    fallback = _namespace_source(namespace) or ("nvd" if _matched_by_cpe(match) else "")
    own = _scores(vuln, fallback)
    related_records = [r.expect_object() for r in match.arr("relatedVulnerabilities")]
    related = [s for r in related_records for s in _scores(r, _namespace_source(r.str("namespace")))]
    related_ids = [r.str("id") for r in related_records]
    aliases = unique(rid for rid in related_ids if rid != vuln_id)
    description = vuln.str("description") or next((r.str("description") for r in related_records if r.str("description")), "")
    urls = unique([vuln.str("dataSource"), *vuln.strs("urls"), *vuln.strs("links")])
    # A record without a severity may have a related record of the same id (NVD's) that rates it;
    # records of other ids (a GHSA for a CVE) rate something else and are not borrowed from.
    rated = severity(vuln.raw("severity"))
    if rated == "unknown":
        same = [severity(r.raw("severity")) for r, rid in zip(related_records, related_ids) if rid == vuln_id]
        rated = next((word for word in same if word != "unknown"), "unknown")
    return entries.vulnerability(
        vuln_id,
        pkg,
        rated,
        _fix(vuln),
        aliases=aliases,
        namespace=namespace,
        description=description,
        cvss=own,
        **cvss.summarise(own, related),
        urls=urls,
        epss=_epss(vuln, [vuln_id, *aliases]),
        kev=True if vuln.arr("knownExploited") else None,
        risk=vuln.num("risk"),
    )


# EPSS, KEV and the risk score came with Grype's v6 database (Grype 0.87, 2025): a report
# matched against an older database has none of them, which is "unknown", not "not exploited".
_V6_FIELDS = ("epss", "kev", "risk")


def _v6_database(doc: dict) -> bool:
    descriptor = doc.get("descriptor")
    database = descriptor.get("db") if isinstance(descriptor, dict) else None
    if isinstance(database, dict) and isinstance(database.get("status"), dict):
        return True
    return any(isinstance(m, dict) and isinstance(m.get("vulnerability"), dict)
               and any(k in m["vulnerability"] for k in ("epss", "knownExploited", "risk"))
               for m in doc.get("matches") or ())


class GrypeJson:
    format = "grype-json"
    description = "Grype JSON (`grype -o json`), 0.7's legacy shape through current"

    def detect(self, doc) -> bool:
        if not isinstance(doc, dict) or not isinstance(doc.get("matches"), list):
            return False
        descriptor = doc.get("descriptor")
        return (isinstance(descriptor, dict) and descriptor.get("name") == "grype") or "source" in doc or "distro" in doc

    def extract(self, doc, path: str) -> Extraction:
        root = View(doc, path)
        facts: Facts = {}
        for match in root.arr("matches"):
            match.expect_object()
            pkg = artifact_package(match.obj("artifact"))
            add_entry(facts, "packages", pkg["key"], pkg)
            key, vuln = _vulnerability(match, pkg)
            add_entry(facts, "vulnerabilities", key, vuln)
        source = root.obj("source")
        image: dict = {}
        if source.str("type") == "image" and isinstance(source.raw("target"), dict):
            image = image_facts(source.obj("target"))
        found_distro = distro(root.obj("distro"))
        if found_distro:
            image["distro"] = found_distro
        facts["image"] = image
        descriptor = root.obj("descriptor")
        database = descriptor.obj("db")
        # Grype 0.9x nests the database's build time under "status".
        built = database.raw("built") or database.obj("status").raw("built")
        return Extraction(facts, Source(descriptor.str("name") or "grype", self.format, descriptor.str("version"), path,
                                        scanned=rfc3339(descriptor.raw("timestamp")) or "",
                                        data_built=rfc3339(built) or "", distros=grype_distros(root)),
                          unfilled={} if _v6_database(doc) else {"vulnerabilities": _V6_FIELDS})
