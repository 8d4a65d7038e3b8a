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
from .imageconfig import layers, reference_digest
from .normalize import distro_entry, distro_from_purls, parse_purl
from .platforms import check_platform, platform_name, select
from .sbomimage import sbom_image
from .view import View

_NO_LICENSE = {"NOASSERTION", "NONE", ""}
_TRIVY_OS = "SPDXRef-OperatingSystem-"  # how Trivy marked the distribution before SPDX 2.3's purposes
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


def _attributions(package: View) -> dict[str, list[str]]:
    """Trivy's `Key: value` attribution texts (ImageID, DiffID, RepoTag, RepoDigest, Reference)."""
    out: dict[str, list[str]] = {}
    for text in package.strs("attributionTexts"):
        key, sep, value = text.partition(": ")
        if sep:
            out.setdefault(key, []).append(value.strip())
    return out


def _is_image(package: View) -> bool:
    purls = _refs(package, ("purl",))
    purl_type = (parse_purl(purls[0]) or {}).get("type") if purls else ""
    return (package.str("primaryPackagePurpose") == "CONTAINER" or purl_type in ("oci", "docker")
            or "ImageID" in _attributions(package))


def _oci_purl(package: View) -> dict:
    return next((parsed for purl in _refs(package, ("purl",)) if (parsed := parse_purl(purl)) and parsed["type"] == "oci"), {})


def _platform_images(root: View) -> dict[str, View]:
    """The image packages that name a platform (a `pkg:oci` purl with `arch`), by platform:
    several of them make a multi-platform document (ko's index SBOM, Docker's per-platform attestations)."""
    out: dict[str, View] = {}
    for package in root.arr("packages"):
        purl = _oci_purl(package.expect_object())
        if purl.get("arch"):
            out.setdefault(platform_name(purl.get("os", ""), purl["arch"], purl.get("variant", "")), package)
    return out


def _platform_image(package: View, document_name: str) -> dict:
    purl = _oci_purl(package)
    image = _image(package, document_name)
    for field, qualifier in (("os", "os"), ("architecture", "arch"), ("variant", "variant")):
        if purl.get(qualifier):
            image[field] = purl[qualifier]
    return image


# Relationships that do not lead from an image to what is in it.
_NOT_CONTENT = {"VARIANT_OF", "DESCENDANT_OF", "ANCESTOR_OF", "GENERATED_FROM", "OTHER", "COPY_OF", "PATCH_FOR"}
_REVERSED = {"CONTAINED_BY", "DEPENDENCY_OF", "DESCRIBED_BY"}


def _reachable(root: View, starts: list[str]) -> dict[str, set[str]]:
    """Each start's element id → ids of what it contains or depends on, transitively."""
    edges: dict[str, set[str]] = {}
    for rel in root.arr("relationships"):
        kind, source, target = rel.expect_object().str("relationshipType"), rel.str("spdxElementId"), rel.str("relatedSpdxElement")
        if kind in _REVERSED:
            source, target = target, source
        if kind not in _NOT_CONTENT:
            edges.setdefault(source, set()).add(target)
    out: dict[str, set[str]] = {}
    for start in starts:
        seen, stack = set(), [start]
        while stack:
            for target in edges.get(stack.pop(), ()):
                if target not in seen:
                    seen.add(target)
                    stack.append(target)
        out[start] = seen
    return out


def _image(package: View, document_name: str) -> dict:
    """The image a CONTAINER package describes; Trivy names the document after the image too
    (`ibmcom/grc-ui@sha256:...`), which names it when the package's own name (an archive path) does not,
    and states the image's identity in attribution texts."""
    stated = _attributions(package)
    names = [*stated.get("Reference", []), *stated.get("RepoTag", []), document_name]
    image = sbom_image(package.str("name"), package.str("versionInfo"), _refs(package, ("purl",)), names)
    if stated.get("RepoDigest"):
        image["repo_digests"] = stated["RepoDigest"]
        image.setdefault("digest", reference_digest(stated["RepoDigest"][0]))
    if stated.get("ImageID"):
        image["id"] = stated["ImageID"][0]
    if stated.get("DiffID"):
        image["layers"] = layers(stated["DiffID"], [])
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
        return self.extract_platform(doc, path, "")

    def extract_platform(self, doc, path: str, platform: str) -> Extraction:
        root = View(doc, path)
        facts: Facts = {}
        image: dict = {}
        files = {}
        warnings: list[str] = []
        platform_images = _platform_images(root)
        skipped: set[str] = set()
        if len(platform_images) > 1:
            chosen = select(path, "describes one image", platform_images, platform)
            image.update(_platform_image(chosen, root.str("name")))
            reachable = _reachable(root, [package.str("SPDXID") for package in platform_images.values()])
            others = {ref for package in platform_images.values() if package is not chosen
                      for ref in reachable[package.str("SPDXID")]}
            skipped = others - reachable[chosen.str("SPDXID")]
        for item in root.arr("files"):
            if item.expect_object().str("SPDXID") in skipped:
                continue  # another platform's
            entry = _file(item)
            files[item.str("SPDXID")] = entry
            add_entry(facts, "files", entry["path"], entry)
        described = _described(root)
        evidence = _evidence(root)
        images_listed = []
        for package in root.arr("packages"):
            package.expect_object()
            if package.str("SPDXID") in skipped:
                continue  # another platform's
            if package.str("SPDXID") in described:
                # The subject of the SBOM (the image, a directory), not something installed in it.
                if _is_image(package) and len(platform_images) <= 1:  # else it is the index of them all
                    image.update(_image(package, root.str("name")))
            elif package.str("primaryPackagePurpose") == "OPERATING-SYSTEM" or package.str("SPDXID").startswith(_TRIVY_OS):
                image["distro"] = distro_entry(package.str("name"), package.str("versionInfo"))
            elif _oci_purl(package):
                images_listed.append(package.str("name"))  # an image (a base image, a platform's), not installed software
            elif not _is_scan_target(package):
                located = [files[ref] for ref in evidence.get(package.str("SPDXID"), []) if ref in files]
                pkg = _package(package, located)
                add_entry(facts, "packages", pkg["key"], pkg)
        if not image.get("distro"):
            image["distro"] = distro_from_purls(pkg.get("purl", "") for pkg in facts.get("packages", {}).values())
        facts["image"] = {field: value for field, value in image.items() if value}
        left_out = len(skipped - {package.str("SPDXID") for package in platform_images.values()})
        if left_out:
            warnings.append(f"--platform {platform}: {left_out} elements of the other platforms' images are left out")
        if images_listed:
            warnings.append(f"lists {len(images_listed)} images as packages ({', '.join(images_listed)}); "
                            "an image is not software installed in the image described, so they are left out")
        check_platform(path, facts["image"], platform)
        tool, version = _tool(root)
        return Extraction(facts, Source(tool or "spdx", self.format, version, path), warnings)
