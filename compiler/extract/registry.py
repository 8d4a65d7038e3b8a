"""Which adapter reads an input: content-based detection, never the file name.

A directory or an archive goes to the path adapters (the image readers in
`regate.extract.image`); anything else must be JSON and goes to the first JSON
adapter whose `detect` accepts it, most specific first. JSON that regate
recognises but does not read (a policy bundle, a manifest list) gets the
reason; anything else gets what was detected and what is accepted.
"""

from __future__ import annotations

import tarfile
from pathlib import Path
from typing import Any, Callable

from ..collector import paused
from ..errors import InputError, UserError
from .adapters import clamav
from .adapters.anchore import AnchoreExport
from .adapters.anchore_vulns import AnchoreVulnerabilities
from .adapters.cyclonedx import CycloneDxJson
from .adapters.docker import DockerInspect, ImageConfig, ImageIndex, ImageManifest, ManifestSchema1
from .adapters.grype import GrypeJson
from .adapters.platforms import check_platform
from .adapters.rejected import REJECTIONS
from .adapters.spdx import SpdxJson
from .adapters.skopeo import SkopeoInspect
from .adapters.syft import SyftImageMetadata, SyftJson
from .adapters.trivy import TrivyJson
from .adapters.view import describe
from .base import Extraction, ExtractOptions, JsonAdapter, PathAdapter
from .document import DISAGREEMENTS, disagreement_warning
from .jsonload import MAX_JSON_BYTES, parse_json, read_text

# Most specific first: an Anchore export embeds docker-inspect output, a Grype
# report embeds Syft's image metadata.
JSON_ADAPTERS: tuple[JsonAdapter, ...] = (
    AnchoreExport(),
    AnchoreVulnerabilities(),
    GrypeJson(),
    SyftJson(),
    SyftImageMetadata(),
    CycloneDxJson(),
    SpdxJson(),
    TrivyJson(),
    DockerInspect(),
    ImageIndex(),
    ImageManifest(),
    ManifestSchema1(),
    ImageConfig(),
    SkopeoInspect(),
)

# Magic numbers of tar and of the compressions image archives come in.
_ARCHIVE_MAGIC = (b"\x1f\x8b", b"\x28\xb5\x2f\xfd", b"BZh", b"\xfd7zXZ\x00")


def _image_module():
    try:
        from . import image
    except ModuleNotFoundError as exc:
        if exc.name != __package__ + ".image":
            raise
        return None
    return image


def path_adapters() -> list[PathAdapter]:
    image = _image_module()
    return list(image.PATH_ADAPTERS) if image else []


def accepted_formats() -> str:
    """One line (error messages are one line) naming every readable format."""
    return "accepted formats: " + "; ".join(adapter.description for adapter in (*JSON_ADAPTERS, *path_adapters()))


def _is_archive(path: Path) -> bool:
    with open(path, "rb") as handle:
        head = handle.read(512)
    if head[257:262] == b"ustar" or head.startswith(_ARCHIVE_MAGIC):
        return True
    if head.lstrip()[:1] in (b"{", b"["):
        return False
    return tarfile.is_tarfile(path)  # pre-POSIX tar has no magic


def summarize(doc: Any) -> str:
    """What a JSON document is, for the unknown-format error."""
    if isinstance(doc, dict):
        keys = list(doc)[:6]
        more = "…" if len(doc) > 6 else ""
        return f"a JSON object with keys {', '.join(keys)}{more}" if keys else "an empty JSON object"
    if isinstance(doc, list):
        kinds = ", ".join(sorted({describe(item) for item in doc})) or "nothing"
        return f"a JSON array of {len(doc)} item(s) ({kinds})"
    return f"a JSON value that is {describe(doc)}"


def _noting_disagreements(read: Callable[[], Extraction]) -> Extraction:
    """`read()`, with a warning naming the fields the input stated twice for one entry with different values."""
    noted: list[str] = []
    token = DISAGREEMENTS.set(noted)
    try:
        extraction = read()
    finally:
        DISAGREEMENTS.reset(token)
    if noted:
        extraction.warnings.append(disagreement_warning(
            noted, "are stated twice for one entry with different values; the first value is kept, except for "
                   "a severity, a fix or a score, where the more severe, the known or the higher is"))
    return extraction


def extract_json(doc: Any, path: str, platform: str = "") -> Extraction:
    """Facts from one JSON input; `platform` chooses one image of an input about several platforms."""
    for adapter in JSON_ADAPTERS:
        if adapter.detect(doc):
            if platform and hasattr(adapter, "extract_platform"):
                return _noting_disagreements(lambda: adapter.extract_platform(doc, path, platform))
            extraction = _noting_disagreements(lambda: adapter.extract(doc, path))
            check_platform(path, extraction.facts.get("image", {}), platform)
            return extraction
    for rejection in REJECTIONS:
        if rejection.detect(doc):
            raise InputError(path, rejection.reason(doc))
    raise InputError(path, f"{summarize(doc)} is not a format regate knows; {accepted_formats()}")


def _not_json_hint(text: str) -> str:
    first = next((line.strip() for line in text.splitlines() if line.strip() and not line.lstrip().startswith("#")), "")
    word = first.split(" ", 1)[0].upper()
    if word in ("FROM", "ARG") or text.lstrip().lower().startswith("# syntax="):
        return ("looks like a Dockerfile: build instructions, not image analysis\n"
                "pass it with --dockerfile FILE beside the image it built (the image with --image)")
    if first.startswith("<"):
        return "looks like XML; regate reads the JSON flavour of CycloneDX and SPDX (e.g. `syft -o cyclonedx-json`)"
    if first.startswith("SPDXVersion:"):
        return "is SPDX tag-value; regate reads SPDX JSON (e.g. `syft -o spdx-json`)"
    return ""


def extract_path(path: Path, options: ExtractOptions, max_json_bytes: int = MAX_JSON_BYTES) -> Extraction:
    """Read one input: an image directory or archive, or a JSON file."""
    if not path.exists():
        raise InputError(str(path), "no such file or directory")
    if path.is_dir() or _is_archive(path):
        return extract_image_path(path, options)
    text = read_text(path, max_json_bytes)
    if text.lstrip()[:1] not in ("{", "[") and clamav.looks_like_clamscan(text):
        return clamav.extract_text(text, str(path))
    hint = _not_json_hint(text) if text.lstrip()[:1] not in ("{", "[") else ""
    if hint:
        raise InputError(str(path), hint)
    with paused():  # a report read is a tree of JSON: no cycles to collect
        return extract_json(parse_json(text, str(path)), str(path), options.platform)


def extract_image_path(path: Path, options: ExtractOptions) -> Extraction:
    adapters = path_adapters()
    for adapter in adapters:
        if adapter.detect_path(path):
            extraction = adapter.extract_path(path, options)
            check_platform(str(path), extraction.facts.get("image", {}), options.platform)
            return extraction
    if not adapters:
        raise InputError(str(path), "cannot be read: this regate cannot read images (regate.extract.image is missing)")
    what = "a directory that is not an OCI layout" if path.is_dir() else "not a docker-archive or OCI archive"
    raise InputError(str(path), f"is {what}; {accepted_formats()}")


def extract_image(reference: str, options: ExtractOptions) -> Extraction:
    """`--image`: a path (archive or OCI layout) when one exists, else a reference the Docker daemon resolves."""
    path = Path(reference)
    if path.exists():
        return extract_image_path(path, options)
    image = _image_module()
    if image is None:
        raise UserError("reading images from the Docker daemon is not available (regate.extract.image is missing)")
    extraction = image.extract_from_daemon(reference, options)
    check_platform(reference, extraction.facts.get("image", {}), options.platform)
    return extraction
