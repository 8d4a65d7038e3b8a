"""Image configs as Docker and registries hand them out.

- `docker image inspect` output: a list with one object (or the object), the
  config under capitalised keys;
- the image config blob (`architecture`, `os`, `config`, `rootfs`, `history`);
- an image manifest (schema 2 / OCI): the config digest, which is the image
  id, and the layer blobs;
- a schema 1 manifest (old registries and mirrors): layer blobs and history,
  newest first, each history entry a v1 image JSON in a string, the newest of
  them carrying the image's config.
- a manifest list / OCI index: one manifest per platform, read only with
  `--platform` choosing one.
"""

from __future__ import annotations

import re

from ...errors import InputError
from ..base import Extraction, Source
from ..jsonload import parse_json
from .imageconfig import image_names, map_config, map_manifest, parse_reference
from .normalize import rfc3339
from .platforms import platform_name, select
from .view import View

_BARE_ID = re.compile(r"^[0-9a-f]{64}$")
MANIFEST_TYPES = (
    "application/vnd.docker.distribution.manifest.v2+json",
    "application/vnd.oci.image.manifest.v1+json",
)
INDEX_TYPES = ("application/vnd.docker.distribution.manifest.list.v2+json", "application/vnd.oci.image.index.v1+json")
REF_NAME = "org.opencontainers.image.ref.name"


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


def _v1_image(entry: View) -> View:
    """A schema 1 history entry's `v1Compatibility`: a v1 image JSON document in a string."""
    text = entry.expect_object().str("v1Compatibility")
    where = entry.at("v1Compatibility", text)
    try:
        return View(parse_json(text, entry.path), entry.path, where.pointer).expect_object()
    except InputError as exc:
        raise where.error(f"is not a JSON document ({exc.message})") from None


class ManifestSchema1:
    format = "image-manifest-v1"
    description = "a Docker image manifest schema 1 (fsLayers, history[].v1Compatibility)"

    def detect(self, doc) -> bool:
        return isinstance(doc, dict) and doc.get("schemaVersion") == 1 and isinstance(doc.get("fsLayers"), list)

    def extract(self, doc, path: str) -> Extraction:
        root = View(doc, path)
        blobs, v1 = root.arr("fsLayers"), [_v1_image(entry) for entry in root.arr("history")]
        if len(blobs) != len(v1):
            raise root.error(f"lists {len(blobs)} fsLayers but {len(v1)} history entries; schema 1 pairs them one to one")
        image: dict = {}
        if v1:
            newest = v1[0]
            blob = {"architecture": newest.str("architecture") or root.str("architecture"), "os": newest.str("os"),
                    "created": newest.str("created")}
            image = map_config(View(blob, path, newest.pointer), newest.obj("config"))
        history, layers = [], []
        for index, (layer, entry) in enumerate(zip(reversed(blobs), reversed(v1))):
            empty = bool(entry.bool("throwaway"))
            item: dict = {"index": index, "empty_layer": empty}
            created = rfc3339(entry.str("created"))
            if created:
                item["created"] = created
            command = " ".join(entry.obj("container_config").strs("Cmd"))
            if command:
                item["created_by"] = command
            history.append(item)
            if not empty:
                layers.append({"index": len(layers), "blob_digest": layer.expect_object().str("blobSum"),
                               **({"created_by": command} if command else {})})
        if history:
            image["history"] = history
            image["layers"] = layers
        name, tag = root.str("name"), root.str("tag")
        image.update(parse_reference(f"{name}:{tag}" if tag else name) or {})
        warnings = ["a schema 1 manifest names no registry and has no image id or diff ids: "
                    "the registry is Docker's default, the layers are known by their blobs only"]
        return Extraction({"image": image}, Source("registry", self.format, "", path), warnings)


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
        if not candidates:
            return self._without_platforms(root, path)
        what = "is a multi-platform manifest list / OCI index: it describes several images, one"
        chosen = select(path, what, candidates, platform)
        stated = chosen.obj("platform")
        image = {"digest": chosen.str("digest")}
        for field in ("os", "architecture", "variant"):
            if stated.str(field):
                image[field] = stated.str(field)
        return Extraction({"image": image}, Source("registry", self.format, "", path))

    def _without_platforms(self, root: View, path: str) -> Extraction:
        """An index that names no platform: an OCI layout's `index.json` of one image (its manifest, by
        digest), or one that points at further indexes, which describe the images."""
        manifests = [m.expect_object() for m in root.arr("manifests")]
        nested = [m for m in manifests if m.str("mediaType") in INDEX_TYPES]
        if nested or len(manifests) != 1:
            listed = ", ".join(f"{m.str('digest')} ({m.obj('annotations').str(REF_NAME) or 'no ref name'})" for m in manifests)
            kind = "further indexes" if nested else f"{len(manifests)} manifests without platforms"
            raise InputError(path, f"is an image index that lists {kind}: {listed}\n"
                                   "pass the index or manifest of the image (the blob of that digest), with --platform for an index")
        # A ref name (`tg11`, `v1`) is a tag in an OCI layout, of a repository the layout does not name.
        return Extraction({"image": {"digest": manifests[0].str("digest")}}, Source("registry", self.format, "", path))
