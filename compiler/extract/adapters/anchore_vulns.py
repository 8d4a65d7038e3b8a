"""Anchore vulnerability reports, as users migrating from Anchore have years of them.

- Anchore Engine (`anchore-cli --json image vuln IMG all`, the engine API): an
  object with `imageDigest` (2.x: `image_digest`, `base_digest`,
  `imageFullTag`), `vulnerability_type` and snake_case `vulnerabilities`;
- anchorectl (`anchorectl image vulnerabilities IMG -o json`): a list of the
  same records in camelCase;
- Anchore Enterprise's UI/API export: `metadata` (registry, repository, tag,
  imageDigest) and `securityEvaluation` records, whose `package` is
  `name-version` with no version field of its own.

Facts these reports carry that the input document has no place for are
reported in warnings, never dropped silently.
"""

from __future__ import annotations

import re
from collections import Counter

from ..base import Extraction, Facts, Source
from ..document import add_entry
from . import cvss, entries
from .imageconfig import image_names
from .normalize import distro_entry, rfc3339, severity, unique
from .view import View

_DIGEST = re.compile(r"^sha256:[0-9a-f]{64}$")
# Anchore's package types → regate's (Syft's names).
_TYPES = {"dpkg": "deb", "apkg": "apk", "rpm": "rpm", "java": "java-archive", "python": "python", "npm": "npm",
          "gem": "gem", "go": "go-module", "nuget": "dotnet", "binary": "binary"}
# Anchore writes the text "None" (Enterprise: "N/A") where a field has no value.
_NONE = {"", "none"}
# Feeds of distribution advisories; their group (`debian:9`) names the image's distribution.
_DISTRO_FEEDS = {"vulnerabilities"}


def _text(value: object) -> str:
    return value.strip() if isinstance(value, str) and value.strip().lower() not in _NONE else ""


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part.title() for part in rest)


class _Record:
    """One engine or anchorectl record: the same fields, snake_case or camelCase."""

    def __init__(self, view: View):
        self.view = view.expect_object()

    def _key(self, name: str) -> str:
        return name if name in self.view.value else _camel(name)

    def field(self, name: str) -> View:
        key = self._key(name)
        return self.view.at(key, self.view.raw(key))

    def text(self, name: str) -> str:
        return _text(self.view.str(self._key(name)))


def _scores(items: View, source: str) -> list[dict]:
    out = []
    for item in items.items() if isinstance(items.value, list) else []:
        for key, version in (("cvss_v2", "2.0"), ("cvss_v3", "3.0")):
            metrics = item.expect_object().obj(key)
            # -1.0 is Anchore's "not scored".
            base, exploit, impact = (metrics.num(name) for name in ("base_score", "exploitability_score", "impact_score"))
            if base is not None and base >= 0:
                found = cvss.entry(source, "", version, "", base, exploit if exploit is not None and exploit >= 0 else None,
                                   impact if impact is not None and impact >= 0 else None)
                if found:
                    out.append(found)
    return out


def _engine_fix(record: _Record) -> dict:
    if record.field("will_not_fix").value is True:
        return entries.fix("wont-fix")
    fixed = record.text("fix")
    return entries.fix("fixed", fixed.split(",")) if fixed else entries.fix("not-fixed")


def _engine_record(record: _Record, facts: Facts) -> tuple[str, str]:
    """Adds one record's package and vulnerability; returns its feed and feed group."""
    vuln_id = record.text("vuln")
    if not vuln_id:
        raise record.view.error("a record without a vulnerability id", "vuln")
    anchore_type = record.text("package_type")
    path = record.text("package_path")
    pkg = entries.package(
        name=record.text("package_name"),
        version=record.text("package_version"),
        type=_TYPES.get(anchore_type.lower(), anchore_type.lower()),
        cpes=[record.text("package_cpe23")],
        locations=[path] if path.startswith("/") else [],
    )
    add_entry(facts, "packages", pkg["key"], pkg)
    group = record.text("feed_group")
    vendor = group.split(":", 1)[0]
    scores = _scores(record.field("nvd_data"), "nvd") + _scores(record.field("vendor_data"), vendor)
    description = record.text("description") or _text(record.view.obj("extra").str("description"))
    key, vuln = entries.vulnerability(
        vuln_id, pkg, severity(record.field("severity").value), _engine_fix(record),
        namespace=group, description=description, cvss=scores, **cvss.summarise(scores, []),
        urls=unique([record.text("url")]),
    )
    add_entry(facts, "vulnerabilities", key, vuln)
    return record.text("feed"), group


def _distro(groups: Counter) -> dict:
    """The distribution of the most common distribution feed group (`rhel:8`)."""
    if not groups:
        return {}
    name, _, version = max(sorted(groups), key=groups.__getitem__).partition(":")
    return distro_entry(name, version)


def _digest(value: str, field: str, warnings: list[str]) -> str:
    if value and not _DIGEST.match(value):
        warnings.append(f"{field} {value!r} is not a sha256 digest; the image's digest is left out")
        return ""
    return value


def _engine_records(records: list[View], facts: Facts, warnings: list[str]) -> None:
    groups: Counter = Counter()
    inherited = 0
    for item in records:
        record = _Record(item)
        feed, group = _engine_record(record, facts)
        if feed in _DISTRO_FEEDS and ":" in group:
            groups[group] += 1
        inherited += record.field("inherited_from_base").value is True
    distro = _distro(groups)
    if distro:
        facts.setdefault("image", {})["distro"] = distro
    if inherited:
        warnings.append(f"{inherited} records say the vulnerability is inherited from the base image "
                        "(inherited_from_base); the input document has no place for that, it is left out")


_RPM_LIKE = {"rpm", "dpkg", "apkg", "os"}


def _split_package(text: str, anchore_type: str) -> tuple[str, str]:
    """`openssl-libs-1:1.1.1k-14.el8_6` → (openssl-libs, 1:1.1.1k-14.el8_6): distribution packages end in
    version-release, others (`tomcat-embed-el-9.0.97`) in the version alone."""
    parts = text.rsplit("-", 2 if anchore_type.lower() in _RPM_LIKE else 1)
    if len(parts) < 2 or not parts[0]:
        return text, ""
    return parts[0], "-".join(parts[1:])


def _enterprise(root: View, facts: Facts, warnings: list[str]) -> None:
    meta = root.obj("metadata")
    digest = _digest(meta.str("imageDigest"), "metadata.imageDigest", warnings)
    reference = f"{meta.str('registry')}/{meta.str('repository')}:{meta.str('tag')}" if meta.str("repository") else ""
    facts["image"] = image_names([reference], [], digest)
    dates = 0
    for item in root.arr("securityEvaluation"):
        item.expect_object()
        anchore_type = item.str("packageType")
        name, version = _split_package(item.str("package"), anchore_type)
        path = _text(item.str("path"))
        pkg = entries.package(name=name, version=version, type=_TYPES.get(anchore_type.lower(), anchore_type.lower()),
                              locations=[path] if path.startswith("/") else [])
        add_entry(facts, "packages", pkg["key"], pkg)
        fixed = _text(item.str("fixAvailable"))
        score = None if item.raw("nvdCvssBaseScore") == "N/A" else item.num("nvdCvssBaseScore")
        scores = [cvss.entry("nvd", "", "", "", score)] if score is not None and score >= 0 else []
        vuln_id = item.str("vulnerabilityId")
        if not vuln_id:
            raise item.error("a record without a vulnerability id", "vulnerabilityId")
        key, vuln = entries.vulnerability(
            vuln_id, pkg, severity(item.raw("severity")),
            entries.fix("fixed", fixed.split(","), rfc3339(item.raw("fixObservedAt"))) if fixed else entries.fix("not-fixed"),
            aliases=[alias for alias in unique(a.strip() for a in item.str("cves").split(",")) if alias != vuln_id],
            cvss=scores, urls=unique([_text(item.str("link"))]),
        )
        add_entry(facts, "vulnerabilities", key, vuln)
        dates += bool(item.str("detectedAt"))
    warnings.append("package names and versions are split from `package` (name-version): "
                    "Anchore Enterprise's export states no version of its own")
    if dates:
        warnings.append(f"{dates} records' detectedAt (when Anchore first saw the vulnerability) is left out: "
                        "regate reads no first-seen dates from Anchore reports yet")


def _records_of(doc) -> list | None:
    """The vulnerability records of an engine or anchorectl report, or None when `doc` is neither."""
    records = doc.get("vulnerabilities") if isinstance(doc, dict) else doc
    if not isinstance(records, list):
        return None
    if isinstance(doc, dict) and records == [] and "vulnerability_type" in doc:
        return records
    first = records[0] if records else None
    if isinstance(first, dict) and "vuln" in first and ("package_name" in first or "packageName" in first):
        return records
    return None


class AnchoreVulnerabilities:
    format = "anchore-vulnerabilities"
    description = ("an Anchore vulnerability report (`anchore-cli image vuln IMG all --json`, "
                   "`anchorectl image vulnerabilities -o json`, Enterprise `securityEvaluation`)")

    def detect(self, doc) -> bool:
        if isinstance(doc, dict) and isinstance(doc.get("securityEvaluation"), list) and isinstance(doc.get("metadata"), dict):
            return True
        return _records_of(doc) is not None

    def extract(self, doc, path: str) -> Extraction:
        root = View(doc, path)
        facts: Facts = {"image": {}}
        warnings: list[str] = []
        if isinstance(doc, dict) and "securityEvaluation" in doc:
            _enterprise(root, facts, warnings)
            return Extraction(facts, Source("anchore-enterprise", self.format, "", path), warnings)
        if isinstance(doc, list):
            _engine_records(list(root.items()), facts, warnings)
            return Extraction(facts, Source("anchorectl", self.format, "", path), warnings)
        digest = _digest(root.str("imageDigest") or root.str("image_digest"), "imageDigest", warnings)
        names = image_names([root.str("imageFullTag")], [], digest)
        _engine_records(root.arr("vulnerabilities"), facts, warnings)
        facts["image"].update(names)
        if root.str("base_digest"):
            warnings.append(f"base_digest {root.str('base_digest')} (the base image's digest) is left out: "
                            "the input document has no place for it")
        if root.str("vulnerability_type") not in ("", "all"):
            warnings.append(f"vulnerability_type is {root.str('vulnerability_type')!r}: the report lists only those "
                            "vulnerabilities (`anchore-cli image vuln IMG all` lists every kind)")
        return Extraction(facts, Source("anchore-engine", self.format, "", path), warnings)
