"""Which config and layers make up the image: docker `manifest.json` or an OCI index."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Callable

from ...errors import InputError
from .. import jsonload
from .limits import Budget, Where

_DIGEST = re.compile(r"^(sha256:[a-f0-9]{64}|sha512:[a-f0-9]{128})$")
_INDEX_TYPES = {
    "application/vnd.oci.image.index.v1+json",
    "application/vnd.docker.distribution.manifest.list.v2+json",
}
_MAX_INDEX_DEPTH = 4


@dataclass
class ImagePlan:
    """Blob names (paths inside the archive or layout) and identity of one image."""

    config: str
    layers: list[str]
    config_digest: str = ""
    layer_digests: list[str] = field(default_factory=list)
    references: list[str] = field(default_factory=list)
    tag: str = ""
    digest: str = ""


def parse_json(data: bytes, where: Where) -> Any:
    """A JSON blob of the archive, with errors naming the member it came from."""
    try:
        return jsonload.parse_json(data.decode("utf-8-sig"), where.path)
    except UnicodeDecodeError:
        raise where.error("is not UTF-8 JSON") from None
    except InputError as exc:
        raise where.error(exc.message) from None


def blob_name(digest: Any, where: Where) -> str:
    """`blobs/<alg>/<hex>` for a digest; anything else could point outside the layout."""
    if not isinstance(digest, str) or not _DIGEST.match(digest):
        raise where.error(f"invalid digest {str(digest)[:80]!r}")
    algorithm, hex_ = digest.split(":")
    return f"blobs/{algorithm}/{hex_}"


def docker_plan(manifest: Any, where: Where, budget: Budget) -> ImagePlan:
    if not isinstance(manifest, list) or not manifest or not isinstance(manifest[0], dict):
        raise where.error("manifest.json is not a list of image entries")
    if len(manifest) > 1:
        budget.warn(f"{where.path}: the archive holds {len(manifest)} images; reading the first")
    entry = manifest[0]
    config, layers, tags = entry.get("Config"), entry.get("Layers"), entry.get("RepoTags") or []
    if not isinstance(config, str) or not isinstance(layers, list) or not all(isinstance(x, str) for x in layers):
        raise where.error("manifest.json entry lacks Config or Layers")
    if not isinstance(tags, list) or not all(isinstance(x, str) for x in tags):
        raise where.error("manifest.json RepoTags is not a list of strings")
    return ImagePlan(config=config, layers=layers, references=tags)


def oci_plan(index: Any, load: Callable[[str, Where], Any], where: Where, budget: Budget) -> ImagePlan:
    """Follow `index.json` (through nested indexes) to one image manifest."""
    reference = ""
    tag = ""
    descriptor: dict[str, Any] = {}
    for _ in range(_MAX_INDEX_DEPTH):
        if not isinstance(index, dict) or not isinstance(index.get("manifests"), list) or not index["manifests"]:
            raise where.error("index has no manifests")
        descriptor = _choose(index["manifests"], where, budget)
        annotations = descriptor.get("annotations") or {}
        name = annotations.get("io.containerd.image.name") or annotations.get("org.opencontainers.image.ref.name") or ""
        if isinstance(name, str) and name:
            if "/" in name or ":" in name:
                reference = reference or name
            else:
                tag = tag or name
        child = load(blob_name(descriptor.get("digest"), where), where)
        if descriptor.get("mediaType") in _INDEX_TYPES or "manifests" in child:
            index = child
            continue
        return _from_manifest(child, descriptor["digest"], reference, tag, where)
    raise where.error(f"image indexes nested more than {_MAX_INDEX_DEPTH} deep")


def _choose(manifests: list[Any], where: Where, budget: Budget) -> dict[str, Any]:
    candidates = [m for m in manifests if isinstance(m, dict)]
    if not candidates:
        raise where.error("index manifests are not descriptors")
    if len(candidates) == 1:
        return candidates[0]
    # A multi-platform index: the common server platform, else the first.
    for m in candidates:
        platform = m.get("platform") or {}
        if platform.get("os") == "linux" and platform.get("architecture") == "amd64":
            budget.warn(f"{where.path}: index lists {len(candidates)} manifests; reading linux/amd64")
            return m
    budget.warn(f"{where.path}: index lists {len(candidates)} manifests; reading the first")
    return candidates[0]


def _from_manifest(manifest: Any, digest: str, reference: str, tag: str, where: Where) -> ImagePlan:
    if not isinstance(manifest, dict) or not isinstance(manifest.get("config"), dict):
        raise where.error(f"manifest {digest} has no config descriptor")
    layers = manifest.get("layers")
    if not isinstance(layers, list) or not all(isinstance(x, dict) for x in layers):
        raise where.error(f"manifest {digest} has no layer list")
    config_digest = manifest["config"].get("digest")
    layer_digests = [x.get("digest") for x in layers]
    return ImagePlan(
        config=blob_name(config_digest, where),
        layers=[blob_name(d, where) for d in layer_digests],
        config_digest=config_digest,
        layer_digests=layer_digests,
        references=[reference] if reference else [],
        tag=tag,
        digest=digest,
    )
