"""SPDX JSON 2.2 and 2.3 (Syft, Trivy and others write it).

The package the document DESCRIBES is its subject (the image, when its
purpose is CONTAINER or its purl is `pkg:oci`/`pkg:docker`; a directory for
directory scans), and a package whose purpose is OPERATING-SYSTEM is the
distribution; neither is installed software. Syft 0.57 describes nothing and
lists only installed packages. Package locations come from Syft's
`evident-by` relationships to files.
"""

from __future__ import annotations

import re

from ..base import Extraction, Facts, Source
from ..document import add_entry
from . import entries
from .imageconfig import parse_reference
from .normalize import distro_id, parse_purl
from .view import View

_NO_LICENSE = {"NOASSERTION", "NONE", ""}
_LAYER_COMMENT = re.compile(r"layerID: (sha256:[0-9a-f]{64})")
_TOOL = re.compile(r"^Tool:\s*(?P<name>.+?)(?:-(?P<version>v?\d[\w.+-]*))?$")


def _described(root: View) -> set[str]:
    described = set(root.strs("documentDescribes"))
    document_id = root.str("SPDXID") or "SPDXRef-DOCUMENT"
    for rel in root.arr("relationships"):
        rel.expect_object()
        if rel.str("spdxElementId") == document_id and rel.str("relationshipType") == "DESCRIBES":
            described.add(rel.str("relatedSpdxElement"))
    return described


def _refs(package: View, kinds: tuple[str, ...]) -> list[str]:
    return [
        ref.str("referenceLocator")
        for ref in package.arr("externalRefs")
        if ref.expect_object().str("referenceType") in kinds
    ]


def _evidence(root: View) -> dict[str, list[str]]:
    """Package id → ids of the files its existence is evident by (Syft's package locations)."""
    out: dict[str, list[str]] = {}
    for rel in root.arr("relationships"):
        if rel.str("relationshipType") == "OTHER" and rel.str("comment").startswith("evident-by"):
            out.setdefault(rel.str("spdxElementId"), []).append(rel.str("relatedSpdxElement"))
    return out


def _is_scan_target(package: View) -> bool:
    """Trivy lists the lock files it read as packages annotated `Class: lang-pkgs`; they hold packages but are none."""
    return any(note.expect_object().str("comment").startswith("Class: ") for note in package.arr("annotations"))


def _package(package: View, locations: list[dict]) -> dict:
    purls = _refs(package, ("purl",))
    licenses = [package.str(field) for field in ("licenseConcluded", "licenseDeclared")]
    found_in = package.str("sourceInfo").partition("package found in: ")[2]  # Trivy's wording
    return entries.package(
        name=package.str("name"),
        version=package.str("versionInfo"),
        purl=purls[0] if purls else "",
        cpes=_refs(package, ("cpe23Type", "cpe22Type")),
        licenses=[name for name in licenses if name not in _NO_LICENSE],
        locations=[file["path"] for file in locations] + ([found_in] if found_in else []),
        layer=next((file["layer"] for file in locations if file.get("layer")), ""),
    )


def _is_image(package: View) -> bool:
    purls = _refs(package, ("purl",))
    purl_type = (parse_purl(purls[0]) or {}).get("type") if purls else ""
    return package.str("primaryPackagePurpose") == "CONTAINER" or purl_type in ("oci", "docker")


def _image(package: View) -> dict:
    image: dict = {}
    reference = parse_reference(package.str("name"))
    if reference:
        image.update(reference)
    version = package.str("versionInfo")
    if version.startswith("sha256:"):
        image["digest"] = version
    return image


def _file(item: View) -> dict:
    entry = {"path": item.str("fileName").removeprefix("."), "type": "file"}
    if not entry["path"].startswith("/"):
        entry["path"] = "/" + entry["path"]
    for checksum in item.arr("checksums"):
        if checksum.expect_object().str("algorithm").upper().replace("-", "") == "SHA256":
            entry["sha256"] = checksum.str("checksumValue")
    layer = _LAYER_COMMENT.search(item.str("comment"))
    if layer:
        entry["layer"] = layer[1]
    return entry


def _tool(root: View) -> tuple[str, str]:
    for creator in root.obj("creationInfo").strs("creators"):
        match = _TOOL.match(creator)
        if match:
            return match["name"], (match["version"] or "").lstrip("v")
    return "", ""


class SpdxJson:
    format = "spdx-json"
    description = "SPDX JSON 2.2/2.3 (`syft -o spdx-json`, `trivy -f spdx-json`)"

    def detect(self, doc) -> bool:
        return isinstance(doc, dict) and str(doc.get("spdxVersion", "")).startswith("SPDX-2.")

    def extract(self, doc, path: str) -> Extraction:
        root = View(doc, path)
        facts: Facts = {}
        image: dict = {}
        files = {}
        for item in root.arr("files"):
            entry = _file(item.expect_object())
            files[item.str("SPDXID")] = entry
            add_entry(facts, "files", entry["path"], entry)
        described = _described(root)
        evidence = _evidence(root)
        for package in root.arr("packages"):
            package.expect_object()
            if package.str("SPDXID") in described:
                # The subject of the SBOM (the image, a directory), not something installed in it.
                if _is_image(package):
                    image.update(_image(package))
            elif package.str("primaryPackagePurpose") == "OPERATING-SYSTEM":
                image["distro"] = {"name": distro_id(package.str("name"))}
                if package.str("versionInfo"):
                    image["distro"]["version"] = package.str("versionInfo")
            elif not _is_scan_target(package):
                located = [files[ref] for ref in evidence.get(package.str("SPDXID"), []) if ref in files]
                pkg = _package(package, located)
                add_entry(facts, "packages", pkg["key"], pkg)
        facts["image"] = image
        tool, version = _tool(root)
        return Extraction(facts, Source(tool or "spdx", self.format, version, path))
