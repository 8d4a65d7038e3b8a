"""Syft JSON, from the schema-less 0.x output through schema 16.x.

Shapes that moved over the years: CPEs (strings, then `{cpe, source}`),
licenses (strings, then `{value, spdxExpression, ...}`), the distro (`name`/
`version`/`idLike` string, then os-release fields), and the image source
(`source.target` before schema 9, `source.metadata` after). Image metadata
has kept one shape, which Grype reports embed too (`image_facts`).
"""

from __future__ import annotations

import base64

from ...errors import InputError
from ..base import Extraction, Facts, Source
from ..document import add_entry
from ..jsonload import parse_json
from . import entries
from .imageconfig import image_names, layers, map_config, map_manifest, merge_layers, string_map
from .normalize import cpe_from_fields, distro_entry, source_package_name
from .view import View

_FILE_TYPES = {
    "RegularFile": "file",
    "Directory": "dir",
    "SymbolicLink": "symlink",
    "HardLink": "hardlink",
    "CharacterDevice": "char",
    "BlockDevice": "block",
    "FIFONode": "fifo",
    "Socket": "socket",
}


def _embedded_json(meta: View, field: str) -> View | None:
    """The base64 JSON document (image config or manifest) Syft embeds in its image metadata."""
    text = meta.str(field)
    if not text:
        return None
    where = meta.at(field, text)
    try:
        raw = base64.b64decode(text, validate=True).decode("utf-8")
    except ValueError:  # binascii.Error, UnicodeDecodeError, and non-ASCII text
        raise where.error("is not base64-encoded UTF-8 text") from None
    try:
        return View(parse_json(raw, meta.path), meta.path, where.pointer)
    except InputError as exc:
        raise where.error(f"does not decode to a JSON document ({exc.message})") from None


def image_facts(meta: View) -> dict:
    """Image facts from Syft's image metadata (`source.target` / `source.metadata`, also in Grype reports)."""
    image: dict = {}
    config = _embedded_json(meta, "config")
    if config is not None:
        image = map_config(config)
    sizes = {layer.str("digest"): layer.size("size") for layer in meta.arr("layers") if layer.size("size") is not None}
    syft_layers = layers([layer.str("digest") for layer in meta.arr("layers")], [], sizes)
    image["layers"] = merge_layers(image.get("layers", []), syft_layers)
    manifest = _embedded_json(meta, "manifest")
    if manifest is not None:
        image["layers"] = merge_layers(image["layers"], map_manifest(manifest).get("layers", []))
    if not image["layers"]:
        del image["layers"]

    # Syft before schema 1.0 (0.9 and older) wrote the manifest digest as `digest` and the size as `size`.
    image.update(image_names([meta.str("userInput"), *meta.strs("tags")], meta.strs("repoDigests"),
                             meta.str("manifestDigest") or meta.str("digest")))
    if meta.str("imageID"):
        image["id"] = meta.str("imageID")
    for field in ("architecture", "os"):
        if meta.str(field) and field not in image:
            image[field] = meta.str(field)
    size = meta.size("imageSize") if meta.has("imageSize") else meta.size("size")
    if size is not None:
        image["size"] = size
    labels = string_map(meta.obj("labels"))
    if labels and "labels" not in image:
        image["labels"] = labels
    return image


def distro(view: View) -> dict:
    """`distro` of Syft and Grype: os-release fields (id, versionID, idLike[]) or the old name/version/idLike string."""
    like = view.raw("idLike")
    like = like.split() if isinstance(like, str) else view.strs("idLike")
    return distro_entry(view.str("id") or view.str("name"), view.str("versionID") or view.str("version"), like,
                        view.str("prettyName"))


_STRINGS = frozenset({str})


def _strings(artifact: View, key: str) -> list[str] | None:
    """The array under `key` when it holds only strings (Grype's artifacts), read without a view per item."""
    items = artifact.raw(key)
    return items if type(items) is list and {*map(type, items)} <= _STRINGS else None


def _licenses(artifact: View) -> list[str]:
    names = _strings(artifact, "licenses")
    if names is not None:
        return [name for name in names if name]
    out = []
    for item in artifact.arr("licenses"):
        if isinstance(item.value, str):
            out.append(item.value)
        else:
            out.append(item.expect_object().str("spdxExpression") or item.str("value"))
    return [name for name in out if name]


def cpes(artifact: View) -> list[str]:
    names = _strings(artifact, "cpes")
    if names is not None:
        return names
    out = []
    for item in artifact.arr("cpes"):
        if isinstance(item.value, str):
            out.append(item.value)
        elif isinstance(item.expect_object().raw("cpe"), str):
            out.append(item.str("cpe"))
        else:
            out.append(cpe_from_fields(item.value))
    return out


def _locations(artifact: View) -> tuple[list[str], str]:
    paths, layer = [], ""
    for item in artifact.arr("locations"):
        if isinstance(item.value, str):
            paths.append(item.value)
            continue
        paths.append(item.expect_object().str("path"))
        layer = layer or item.str("layerID")
    return paths, layer


def _source_name(artifact: View, metadata: View) -> str:
    upstreams = artifact.arr("upstreams")  # Grype's artifacts
    if upstreams and upstreams[0].expect_object().str("name"):
        return upstreams[0].str("name")
    if metadata.str("sourceRpm"):
        return source_package_name(metadata.str("sourceRpm"))
    # dpkg writes "name (version)" when the source version differs
    return (metadata.str("source") or metadata.str("originPackage")).split(" (")[0]


def artifact_package(artifact: View) -> dict:
    """A `packages` entry from a Syft artifact (also Grype's `artifact`, which has the same shape)."""
    artifact.expect_object()
    metadata = artifact.obj("metadata")
    paths, layer = _locations(artifact)
    return entries.package(
        name=artifact.str("name"),
        version=artifact.str("version"),
        type=artifact.str("type"),
        purl=artifact.str("purl"),
        cpes=cpes(artifact),
        licenses=_licenses(artifact),
        locations=paths,
        layer=layer,
        source_name=_source_name(artifact, metadata),
        epoch=metadata.raw("epoch"),
    )


def _file_entry(item: View, warnings: list[str]) -> dict:
    location = item.obj("location")
    metadata = item.obj("metadata")
    path = location.str("path")
    kind = _FILE_TYPES.get(metadata.str("type"), "unknown") if item.has("metadata") else "unknown"
    entry: dict = {"path": path, "type": kind}
    mode = metadata.int("mode")
    if mode is not None:
        # Syft writes the octal digits of the mode as a decimal number: 755 is 0o755.
        try:
            bits = int(str(mode), 8)
        except ValueError:
            warnings.append(f"{item.pointer}/metadata/mode: {mode} is not an octal mode; left out")
        else:
            entry.update(mode=bits, setuid=bool(bits & 0o4000), setgid=bool(bits & 0o2000))
    for source, target in (("userID", "uid"), ("groupID", "gid"), ("size", "size")):
        if metadata.int(source) is not None:
            entry[target] = metadata.int(source)
    if metadata.str("linkDestination"):
        entry["link_target"] = metadata.str("linkDestination")
    for digest in item.arr("digests"):
        if digest.str("algorithm").replace("-", "") == "sha256":
            entry["sha256"] = digest.str("value")
    if location.str("layerID"):
        entry["layer"] = location.str("layerID")
    return entry


def _secrets(doc: View, facts: Facts) -> None:
    """Syft 0.3x–0.8x could catalogue secrets; the value is present only with `reveal-values`."""
    for found in doc.arr("secrets"):
        path = found.obj("location").str("path")
        for hit in found.arr("secrets"):
            value = hit.str("value")
            length = min(max(hit.int("length") or len(value), 1), 64)  # a placeholder as long as the secret, within reason
            key, entry = entries.secret(
                entries.secret_kind(hit.str("classification")),
                path,
                hit.int("lineNumber"),
                value or "*" * length,
                secret_text=value or None,
                source="syft",
                layer=found.obj("location").str("layerID"),
            )
            add_entry(facts, "secrets", key, entry)


class SyftJson:
    format = "syft-json"
    description = "Syft JSON (`syft -o json`), schema-less 0.x output through schema 16.x"

    def detect(self, doc) -> bool:
        return isinstance(doc, dict) and isinstance(doc.get("artifacts"), list) and ("source" in doc or "descriptor" in doc)

    def extract(self, doc, path: str) -> Extraction:
        root = View(doc, path)
        facts: Facts = {}
        warnings: list[str] = []
        for artifact in root.arr("artifacts"):
            pkg = artifact_package(artifact)
            add_entry(facts, "packages", pkg["key"], pkg)
        for item in root.arr("files"):
            entry = _file_entry(item.expect_object(), warnings)
            if entry["path"]:
                add_entry(facts, "files", entry["path"], entry)
        _secrets(root, facts)

        source = root.obj("source")
        image: dict = {}
        if source.str("type") == "image":
            meta = source.obj("metadata") if source.has("metadata") else source.obj("target")
            image = image_facts(meta)
        found_distro = distro(root.obj("distro"))
        if found_distro:
            image["distro"] = found_distro
        facts["image"] = image
        descriptor = root.obj("descriptor")
        return Extraction(facts, Source(descriptor.str("name") or "syft", self.format, descriptor.str("version"), path), warnings)


class SyftImageMetadata:
    """Syft's image metadata alone (`source.metadata`, as tools that embed Syft store it): the
    image's names, layers, labels and its manifest and config in base64. No packages."""

    format = "syft-image-metadata"
    description = "a Syft image `source.metadata` object (imageID, layers, base64 manifest and config)"

    def detect(self, doc) -> bool:
        return (isinstance(doc, dict) and "imageID" in doc and "userInput" in doc
                and isinstance(doc.get("layers"), list) and "artifacts" not in doc)

    def extract(self, doc, path: str) -> Extraction:
        return Extraction({"image": image_facts(View(doc, path))}, Source("syft", self.format, "", path))
