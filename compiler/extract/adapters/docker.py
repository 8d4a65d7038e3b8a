"""Image configs as Docker and registries hand them out.

- `docker image inspect` output: a list with one object (or the object), the
  config under capitalised keys;
- the image config blob (`architecture`, `os`, `config`, `rootfs`, `history`);
- an image manifest (schema 2 / OCI): the config digest, which is the image
  id, and the layer blobs.
A manifest list or OCI index describes several images: `rejected.py` refuses it.
"""

from __future__ import annotations

from ..base import Extraction, Source
from .imageconfig import image_names, map_config, map_manifest
from .view import View

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
    image.update(image_names(root.strs("RepoTags"), root.strs("RepoDigests")))
    if root.str("Id"):
        image["id"] = root.str("Id")
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

