"""Image facts from an image config, the one mapping every format shares.

Docker and OCI image configs arrive in several wrappers: the config blob
itself, `docker image inspect` output, base64 inside Syft and Grype reports,
and Trivy's `Metadata.ImageConfig`. Each adapter unwraps its own and calls
`map_config`; nothing else maps `config.User`, `ExposedPorts` and the rest.
"""

from __future__ import annotations

import re

from ..numbers import decimal
from .normalize import rfc3339
from .view import View, describe

_PROTOCOLS = ("tcp", "udp", "sctp")


def port(spec: str, where: View) -> dict:
    """`80/tcp` → {port: 80, protocol: tcp, spec: 80/tcp}; a bare number is TCP, as Docker reads it."""
    text, _, protocol = spec.strip().partition("/")
    protocol = (protocol or "tcp").lower()
    number = decimal(text)
    if number is None or number > 65535 or protocol not in _PROTOCOLS:
        raise where.error(f"{spec!r} is not a port: expected <port>[/tcp|udp|sctp]")
    return {"port": number, "protocol": protocol, "spec": f"{number}/{protocol}"}


def name_values(pairs: list[tuple[str, str]]) -> dict:
    return {name: {"name": name, "value": value} for name, value in pairs}


def string_map(labels: View) -> dict:
    """`{name, value}` entries of a JSON object of strings (image labels)."""
    pairs = []
    for name, value in labels.entries():
        if not isinstance(value.value, str):
            raise value.error(f"expected a string, found {describe(value.value)}")
        pairs.append((name, value.value))
    return name_values(pairs)


def _healthcheck(check: View) -> dict:
    out: dict = {}
    test = check.strs("Test")
    if test:
        out["test"] = test
    for source, target in (("Interval", "interval"), ("Timeout", "timeout"), ("Retries", "retries"), ("StartPeriod", "start_period")):
        value = check.int(source)
        if value is not None:
            out[target] = value
    return out


def layers(diff_ids: list[str], created_by: list[str], sizes: dict[str, int] | None = None) -> list[dict]:
    """Layers in order; `created_by` pairs with them only when the history accounts for every layer."""
    paired = len(created_by) == len(diff_ids)
    out = []
    for index, digest in enumerate(diff_ids):
        layer: dict = {"index": index, "digest": digest}
        if sizes and digest in sizes:
            layer["size"] = sizes[digest]
        if paired and created_by[index]:
            layer["created_by"] = created_by[index]
        out.append(layer)
    return out


def map_config(blob: View, config: View | None = None) -> dict:
    """Image facts from an image config blob (`architecture`, `os`, `config`, `rootfs`, `history`).

    `config` replaces the blob's `config` member for wrappers that keep it elsewhere.
    """
    blob.expect_object()
    config = config if config is not None else blob.obj("config")
    image: dict = {}
    for field in ("architecture", "os", "variant"):
        if blob.str(field):
            image[field] = blob.str(field)
    created = rfc3339(blob.str("created"))
    if created:
        image["created"] = created

    user = config.str("User")
    if user:
        image["user"] = user
    image["effective_user"] = user or "root"

    env = []
    for item in config.strs("Env"):
        name, _, value = item.partition("=")
        env.append((name, value))
    if env:
        image["env"] = name_values(env)
    labels = string_map(config.obj("Labels"))
    if labels:
        image["labels"] = labels
    ports = [port(spec, value) for spec, value in config.obj("ExposedPorts").entries()]
    if ports:
        image["exposed_ports"] = {p["spec"]: p for p in ports}
    for source, target in (("Entrypoint", "entrypoint"), ("Cmd", "cmd")):
        values = config.strs(source)
        if values:
            image[target] = values
    for source, target in (("WorkingDir", "workdir"), ("StopSignal", "stop_signal")):
        if config.str(source):
            image[target] = config.str(source)
    if config.has("Healthcheck"):
        image["healthcheck"] = _healthcheck(config.obj("Healthcheck"))
    volumes = sorted(name for name, _ in config.obj("Volumes").entries())
    if volumes:
        image["volumes"] = volumes

    history = []
    for index, entry in enumerate(blob.arr("history")):
        item: dict = {"index": index}
        created = rfc3339(entry.str("created"))
        if created:
            item["created"] = created
        for field in ("created_by", "comment"):
            if entry.str(field):
                item[field] = entry.str(field)
        item["empty_layer"] = bool(entry.bool("empty_layer"))
        history.append(item)
    if history:
        image["history"] = history
    created_by = [h.get("created_by", "") for h in history if not h["empty_layer"]]
    diff_ids = blob.obj("rootfs").strs("diff_ids")
    if diff_ids:
        image["layers"] = layers(diff_ids, created_by)
    return image


def map_manifest(manifest: View) -> dict:
    """What an image manifest says about the image: its config digest (the image id) and the layer blobs."""
    manifest.expect_object()
    image: dict = {}
    config_digest = manifest.obj("config").str("digest")
    if config_digest:
        image["id"] = config_digest
    blobs = []
    for index, layer in enumerate(manifest.arr("layers")):
        blob: dict = {"index": index}
        if layer.str("digest"):
            blob["blob_digest"] = layer.str("digest")
        if layer.size("size") is not None:
            blob["blob_size"] = layer.size("size")
        blobs.append(blob)
    if blobs:
        image["layers"] = blobs
    return image


def merge_layers(first: list[dict], second: list[dict]) -> list[dict]:
    """Two descriptions of one layer list, field by field, when they agree on the layers.

    They agree when they have the same number of layers and no index has two
    different diff ids; otherwise the first list stands alone.
    """
    if not first:
        return second
    if len(first) != len(second):
        return first
    for a, b in zip(first, second):
        if a.get("digest") and b.get("digest") and a["digest"] != b["digest"]:
            return first
    return [{**b, **a} for a, b in zip(first, second)]


# Reference grammar of github.com/distribution/reference, without IPv6 hosts.
_COMPONENT = r"[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*"
_DOMAIN = r"(?:[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?)(?:\.[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?)*(?::[0-9]+)?"
_REFERENCE = re.compile(
    rf"^(?:(?P<domain>{_DOMAIN})/)?(?P<path>{_COMPONENT}(?:/{_COMPONENT})*)"
    r"(?::(?P<tag>[\w][\w.-]{0,127}))?(?:@(?P<digest>[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,}))?$"
)


# Image ids and archive file names fit the grammar but name no repository.
_NOT_A_REFERENCE = re.compile(r"^(?:sha256:)?[0-9a-f]{64}$|\.(?:tar|tar\.gz|tgz|json)$")


def parse_reference(text: str) -> dict | None:
    """reference/registry/repository/tag (and digest) of an image reference, normalised as Docker does.

    `nginx` is `docker.io/library/nginx:latest`. Returns None for text that is
    not a reference (a file path, a directory, `sha256:...`).
    """
    text = text.strip()
    match = _REFERENCE.match(text)
    if not match or _NOT_A_REFERENCE.search(text):
        return None
    domain, path, tag, digest = match["domain"], match["path"], match["tag"], match["digest"]
    # The first component is a registry only when it looks like a host name.
    if domain and not ("." in domain or ":" in domain or domain == "localhost" or domain != domain.lower()):
        path = f"{domain}/{path}"
        domain = None
    registry = domain or "docker.io"
    if registry == "index.docker.io":
        registry = "docker.io"
    if registry == "docker.io" and "/" not in path:
        path = f"library/{path}"
    if not tag and not digest:
        tag = "latest"
    out = {"registry": registry, "repository": path}
    reference = f"{registry}/{path}"
    if tag:
        out["tag"] = tag
        reference += f":{tag}"
    if digest:
        reference += f"@{digest}"
    out["reference"] = reference
    return out


def reference_digest(text: str) -> str:
    """The digest part of `name@sha256:...` (repo digests), or empty."""
    _, _, digest = text.partition("@")
    return digest


def image_names(candidates: list[str], repo_digests: list[str], digest: str = "") -> dict:
    """The naming fields of `image`: the reference from the first candidate that parses, the
    repo digests, and the digest (the one given, else the first repo digest's)."""
    names: dict = {}
    for candidate in candidates:
        reference = parse_reference(candidate) if candidate else None
        if reference:
            names.update(reference)
            break
    if repo_digests:
        names["repo_digests"] = repo_digests
    digest = digest or (reference_digest(repo_digests[0]) if repo_digests else "")
    if digest:
        names["digest"] = digest
    return names
