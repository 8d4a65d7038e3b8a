"""The image an SBOM describes, from what CycloneDX and SPDX have room for.

Both formats describe the image as a component/package: its name (a
reference, sometimes without the tag), its version (Syft writes the manifest
digest, other tools the tag), a `pkg:oci` purl (digest, `arch`,
`repository_url`, `tag`) and, in SPDX, the document's own name.
"""

from __future__ import annotations

import re

from .imageconfig import parse_reference
from .normalize import parse_purl

_DIGEST = re.compile(r"^sha256:[0-9a-f]{64}$")
_TAG = re.compile(r"^[\w][\w.-]{0,127}$")
_HEX_DIGEST = re.compile(r"^[0-9a-f]{64}$")


def _has_tag_or_digest(name: str) -> bool:
    last = name.rsplit("/", 1)[-1]
    return "@" in name or ":" in last


def _oci(purls: list[str]) -> dict[str, str]:
    """digest, arch, repository_url and tag of the first `pkg:oci` purl."""
    for purl in purls:
        parsed = parse_purl(purl)
        if parsed and parsed["type"] == "oci":
            return parsed
    return {}


def _reference(names: list[str], tag: str, digest: str) -> dict | None:
    """The first name that is an image reference, with `tag` when the name states none. A name
    without either and no tag known names the image by its digest: it is no `:latest`."""
    for name in names:
        if not name:
            continue
        if (tag or digest) and not _has_tag_or_digest(name):
            name = f"{name}:{tag}" if tag else f"{name}@{digest}"
        reference = parse_reference(name)
        # ko names its documents `sbom-sha256:<digest>`: a digest in the tag's place names no image.
        if reference and not _HEX_DIGEST.match(reference.get("tag", "")):
            return reference
    return None


def sbom_image(name: str, version: str, purls: list[str], more_names: list[str] = ()) -> dict:
    """`image` fields of an SBOM's subject.

    `version` is a digest (Syft) or a tag (Trivy's SPDX, other generators);
    a tag fills the reference's tag only when the name states none, so that a
    pinned image never reads as `latest`.
    """
    oci = _oci(purls)
    version_is_digest = bool(_DIGEST.match(version))
    digest = version if version_is_digest else oci.get("version", "")
    digest = digest if _DIGEST.match(digest) else ""
    tag = version if version and not version_is_digest and _TAG.match(version) else oci.get("tag", "")
    repository_url = oci.get("repository_url", "")
    image: dict = {}
    reference = _reference([name, *more_names, repository_url], tag, digest)
    if reference:
        image.update(reference)
    if digest:
        image["digest"] = digest
    if oci.get("arch"):
        image["architecture"] = oci["arch"]
    return image
