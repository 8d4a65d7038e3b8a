"""Image configs as Docker and registries hand them out.

- `docker image inspect` output: a list with one object (or the object), the
  config under capitalised keys;
- the image config blob (`architecture`, `os`, `config`, `rootfs`, `history`);
- an image manifest (schema 2 / OCI): the config digest, which is the image
  id, and the layer blobs.
- a manifest list / OCI index: one manifest per platform, read only with
  `--platform` choosing one.
"""

from __future__ import annotations

import re

from ..base import Extraction, Source
from .imageconfig import image_names, map_config, map_manifest
from .platforms import platform_name, select
from .view import View

_BARE_ID = re.compile(r"^[0-9a-f]{64}$")
MANIFEST_TYPES = (
    "application/vnd.docker.distribution.manifest.v2+json",
    "application/vnd.oci.image.manifest.v1+json",
)


def inspect_facts(root: View) -> dict:
    """Image facts from one `docker image inspect` object (also inside Anchore's exports)."""
    root.expect_object()
    # Reshaped into an image config blob so that the one config mapping applies.
    blob = {
        "architecture": root.str("Architecture"),
        "os": root.str("Os"),
        "variant": root.str("Variant"),
        "created": root.str("Created"),
        "rootfs": {"diff_ids": root.obj("RootFS").strs("Layers")},
    }
    image = map_config(View(blob, root.path, root.pointer), root.obj("Config"))
    # Podman states the digest of the manifest it pulled (`Digest`); RepoDigests lists
    # every digest the image is known by, in no particular order.
    image.update(image_names(root.strs("RepoTags"), root.strs("RepoDigests"), root.str("Digest")))
    if root.str("Id"):
        # Podman writes the id without its algorithm.
        image["id"] = f"sha256:{root.str('Id')}" if _BARE_ID.match(root.str("Id")) else root.str("Id")
    if root.size("Size") is not None:
        image["size"] = root.size("Size")
    return image


def _inspect_object(doc):
    if isinstance(doc, list) and len(doc) == 1:
        return doc[0]
    return doc


class DockerInspect:
    format = "docker-inspect"
    description = "`docker image inspect` output (one image)"

    def detect(self, doc) -> bool:
        if isinstance(doc, list) and len(doc) > 1 and all(isinstance(d, dict) and "RootFS" in d for d in doc):
            return True  # several images: extract() says why that is refused
        item = _inspect_object(doc)
        return isinstance(item, dict) and "Id" in item and "Config" in item and ("RootFS" in item or "RepoTags" in item)

    def extract(self, doc, path: str) -> Extraction:
        root = View(doc, path)
        if isinstance(doc, list):
            if len(doc) != 1:
                raise root.error(f"inspects {len(doc)} images; regate describes one image, pass one `docker image inspect` result")
            root = root.at(0, doc[0])
        image = inspect_facts(root)
        return Extraction({"image": image}, Source("docker", self.format, root.str("DockerVersion"), path))


class ImageConfig:
    format = "image-config"
    description = "an OCI/Docker image config blob (architecture, os, config, rootfs, history)"

    def detect(self, doc) -> bool:
        return (
            isinstance(doc, dict)
            and isinstance(doc.get("rootfs"), dict)
            and ("architecture" in doc or "config" in doc)
        )

    def extract(self, doc, path: str) -> Extraction:
        return Extraction({"image": map_config(View(doc, path))}, Source("image-config", self.format, "", path))


class ImageManifest:
    format = "image-manifest"
    description = "an OCI/Docker image manifest (schema 2): image id and layer blobs"

    def detect(self, doc) -> bool:
        return (
            isinstance(doc, dict)
            and doc.get("schemaVersion") == 2
            and isinstance(doc.get("config"), dict)
            and isinstance(doc.get("layers"), list)
            and doc.get("mediaType", MANIFEST_TYPES[1]) in MANIFEST_TYPES
        )

    def extract(self, doc, path: str) -> Extraction:
        image = map_manifest(View(doc, path))
        return Extraction({"image": image}, Source("registry", self.format, "", path))


class ImageIndex:
    format = "image-index"
    description = "a multi-platform manifest list / OCI index, with --platform choosing one platform's manifest"

    def detect(self, doc) -> bool:
        return isinstance(doc, dict) and isinstance(doc.get("manifests"), list) and doc.get("schemaVersion") == 2

    def extract(self, doc, path: str) -> Extraction:
        return self.extract_platform(doc, path, "")

    def extract_platform(self, doc, path: str, platform: str) -> Extraction:
        root = View(doc, path)
        candidates = {}
        for manifest in root.arr("manifests"):
            found = manifest.expect_object().obj("platform")
            name = platform_name(found.str("os"), found.str("architecture"), found.str("variant"))
            if found.str("architecture") and name not in candidates:  # attestation manifests name no platform
                candidates[name] = manifest
        what = "is a multi-platform manifest list / OCI index: it describes several images, one"
        chosen = select(path, what, candidates, platform)
        stated = chosen.obj("platform")
        image = {"digest": chosen.str("digest")}
        for field in ("os", "architecture", "variant"):
            if stated.str(field):
                image[field] = stated.str(field)
        return Extraction({"image": image}, Source("registry", self.format, "", path))
