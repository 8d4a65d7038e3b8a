"""CycloneDX JSON 1.3–1.7 (Syft, Trivy, Grype and others write it).

Components become packages (nested components included); the
`operating-system` component is the distro; `metadata.component` of type
`container` names the image. Syft's `syft:*` and Trivy's
`aquasecurity:trivy:*` properties add what CycloneDX has no field for.
"""

from __future__ import annotations

import re

from ..base import Extraction, Facts, Source
from ..document import add_entry
from . import cvss, entries
from .imageconfig import layers, name_values, reference_digest
from .normalize import SEVERITIES, distro_entry, distro_from_purls, rfc3339, severity, unique
from .sbomimage import sbom_image
from .trivy import trivy_type
from .view import View

SUPPORTED_SPECS = ("1.3", "1.4", "1.5", "1.6", "1.7")
_SYFT_LOCATION = re.compile(r"^syft:location:([0-9]{1,9}):path$")
_SYFT_LABEL = "syft:image:labels:"
# os-release ids → the names Trivy gives their security trackers as rating sources (`oracle-oval`, `suse-cvrf`).
_TRACKERS = {"rhel": "redhat", "amzn": "amazon", "ol": "oracle", "sles": "suse", "opensuse-leap": "suse",
             "mariner": "cbl-mariner", "almalinux": "alma"}


def _properties(component: View) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for item in component.arr("properties"):
        item.expect_object()
        out.setdefault(item.str("name"), []).append(item.str("value"))
    return out


def _first(props: dict[str, list[str]], *names: str) -> str:
    for name in names:
        if props.get(name):
            return props[name][0]
    return ""


def _licenses(component: View) -> list[str]:
    out = []
    for item in component.arr("licenses"):
        item.expect_object()
        if item.str("expression"):
            out.append(item.str("expression"))
        license_ = item.obj("license")
        out.append(license_.str("id") or license_.str("name"))
    return [name for name in out if name]


def _walk(components: list[View]):
    for component in components:
        component.expect_object()
        yield component
        yield from _walk(component.arr("components"))


def _package(component: View) -> dict:
    props = _properties(component)
    numbered = [(int(m[1]), values) for name, values in props.items() if (m := _SYFT_LOCATION.match(name))]
    locations = [value for _, values in sorted(numbered) for value in values]
    locations += props.get("aquasecurity:trivy:FilePath", [])
    return entries.package(
        name=component.str("name"),
        version=component.str("version"),
        type=_first(props, "syft:package:type") or trivy_type(_first(props, "aquasecurity:trivy:PkgType")),
        purl=component.str("purl"),
        cpes=[component.str("cpe"), *props.get("syft:cpe23", [])],
        licenses=_licenses(component),
        locations=locations,
        layer=_first(props, "syft:location:0:layerID", "aquasecurity:trivy:LayerDiffID"),
        source_name=_first(props, "syft:metadata:source", "syft:metadata:originPackage", "aquasecurity:trivy:SrcName"),
        epoch=_first(props, "syft:metadata:epoch", "aquasecurity:trivy:PkgEpoch") or None,
    )


def _file(component: View) -> dict:
    entry = {"path": component.str("name"), "type": "file"}
    for item in component.arr("hashes"):
        if item.expect_object().str("alg").upper().replace("-", "") == "SHA256":
            entry["sha256"] = item.str("content")
    return entry


def _image(metadata: View) -> dict:
    component = metadata.obj("component")
    if component.str("type") != "container":
        return {}
    props = _properties(component)
    image = sbom_image(component.str("name"), component.str("version"), [component.str("purl")],
                       [*props.get("aquasecurity:trivy:Reference", []), *props.get("aquasecurity:trivy:RepoTag", [])])
    repo_digests = props.get("aquasecurity:trivy:RepoDigest", [])
    if repo_digests:
        image["repo_digests"] = repo_digests
        image.setdefault("digest", reference_digest(repo_digests[0]))
    image_id = _first(props, "aquasecurity:trivy:ImageID")
    if image_id:
        image["id"] = image_id
    diff_ids = props.get("aquasecurity:trivy:DiffID", [])
    if diff_ids:
        image["layers"] = layers(diff_ids, [])
    # Syft puts the image's labels on the BOM's metadata, not on the container component.
    labelled = {**_properties(metadata), **props}
    labels = [(name.removeprefix(_SYFT_LABEL), values[0]) for name, values in labelled.items() if name.startswith(_SYFT_LABEL)]
    if labels:
        image["labels"] = name_values(sorted(labels))
    return image


def _distro(component: View) -> dict:
    props = _properties(component)
    return distro_entry(_first(props, "syft:distro:id") or component.str("name"),
                        _first(props, "syft:distro:versionID") or component.str("version"),
                        _first(props, "syft:distro:idLike").split(), _first(props, "syft:distro:prettyName"))


def _rated(vuln: View, ratings: list[View], distro: str) -> tuple[str, bool]:
    """The severity that speaks for the record, and whether other sources rated it differently.

    Trivy lists every source's rating sorted by source name, so the first one
    is arbitrary: the rating of the record's own `source` counts, then the
    verdict of the image's distribution (its security tracker's rating), then
    the highest.
    """
    rated = [(rating.obj("source").str("name"), severity(rating.raw("severity")))
             for rating in ratings if severity(rating.raw("severity")) != "unknown"]
    if not rated:
        return "unknown", False
    own = vuln.obj("source").str("name")
    tracker = _TRACKERS.get(distro, distro)
    chosen = (
        next((word for source, word in rated if own and source == own), None)
        or next((word for source, word in rated if tracker and source.startswith(tracker)), None)
        or max((word for _, word in rated), key=SEVERITIES.index)
    )
    return chosen, any(word != chosen for _, word in rated)


def _vulnerability(vuln: View, by_ref: dict[str, dict], warnings: list[str], facts: Facts, distro: str) -> bool:
    """Adds the record's matches; True when other sources rated it differently (their words have no field)."""
    vuln_id = vuln.str("id")
    ratings = [rating.expect_object() for rating in vuln.arr("ratings")]
    scores = [found for found in (cvss.from_cyclonedx(rating) for rating in ratings) if found]
    rated, disputed = _rated(vuln, ratings, distro)
    aliases = unique(ref.expect_object().str("id") for ref in vuln.arr("references"))
    for affected in vuln.arr("affects"):
        pkg = by_ref.get(affected.expect_object().str("ref"))
        if pkg is None:
            warnings.append(f"{affected.pointer}: affects {affected.str('ref')!r}, which no component declares; ignored")
            continue
        key, entry = entries.vulnerability(
            vuln_id,
            pkg,
            rated,
            entries.fix("unknown"),
            aliases=[alias for alias in aliases if alias != vuln_id],
            namespace=vuln.obj("source").str("name"),
            description=vuln.str("description") or vuln.str("detail"),
            cvss=scores,
            **cvss.summarise(scores, []),
            urls=unique([vuln.obj("source").str("url"), *(a.expect_object().str("url") for a in vuln.arr("advisories"))]),
            published=rfc3339(vuln.str("published")),
            modified=rfc3339(vuln.str("updated")),
        )
        add_entry(facts, "vulnerabilities", key, entry)
    return disputed


def _tool(metadata: View) -> tuple[str, str]:
    tools = metadata.raw("tools")
    listed = metadata.obj("tools").arr("components") if isinstance(tools, dict) else metadata.arr("tools")
    for tool in listed:
        if tool.expect_object().str("name"):
            return tool.str("name"), tool.str("version")
    return "", ""


class CycloneDxJson:
    format = "cyclonedx-json"
    description = "CycloneDX JSON 1.3–1.7 (`syft -o cyclonedx-json`, `trivy -f cyclonedx`)"

    def detect(self, doc) -> bool:
        return isinstance(doc, dict) and doc.get("bomFormat") == "CycloneDX"

    def extract(self, doc, path: str) -> Extraction:
        root = View(doc, path)
        facts: Facts = {}
        warnings: list[str] = []
        spec = root.str("specVersion")
        if spec not in SUPPORTED_SPECS:
            warnings.append(f"CycloneDX {spec or '(no specVersion)'} is outside the versions regate is tested with ({', '.join(SUPPORTED_SPECS)})")
        image: dict = {}
        by_ref: dict[str, dict] = {}
        for component in _walk(root.arr("components")):
            kind = component.str("type")
            if kind != "operating-system" and "aquasecurity:trivy:Class" in _properties(component):
                continue  # Trivy's scan targets (lock files), which hold packages but are none
            if kind == "operating-system":
                image["distro"] = _distro(component)
            elif kind == "file":
                entry = _file(component)
                add_entry(facts, "files", entry["path"], entry)
            elif kind != "container":
                pkg = _package(component)
                add_entry(facts, "packages", pkg["key"], pkg)
                if component.str("bom-ref"):
                    by_ref[component.str("bom-ref")] = pkg
        distro = image.get("distro", {}).get("name", "")
        disputed = sum(_vulnerability(vuln.expect_object(), by_ref, warnings, facts, distro)
                       for vuln in root.arr("vulnerabilities"))
        if disputed:
            warnings.append(
                f"{disputed} vulnerabilities are rated differently by other sources; each keeps its own source's "
                "severity (else the image distribution's, else the highest) and the CVSS scores of the others (nvd_cvss, vendor_cvss, cvss); "
                "other sources' severity words have no field and are left out"
            )
        if not image.get("distro"):
            image["distro"] = distro_from_purls(pkg.get("purl", "") for pkg in facts.get("packages", {}).values())
        metadata = root.obj("metadata")
        image.update(_image(metadata))
        image = {field: value for field, value in image.items() if value}
        facts["image"] = image
        tool, version = _tool(metadata)
        return Extraction(facts, Source(tool or "cyclonedx", self.format, version, path), warnings)
