"""Image tar archives, read in one pass: `docker save` output and OCI archives.

The archive is streamed member by member (it may be a pipe from the Docker
daemon). Layers are summarised as they pass; small JSON blobs (manifest,
config, index) are kept. Only at the end, when the manifest is known, are
the summaries stacked in order: `docker save` writes manifest.json last.
"""

from __future__ import annotations

import re
from pathlib import Path

from ...errors import InputError
from ..base import ExtractOptions, Facts
from .assemble import build_facts, read_plan
from .layers import Layer, read_layer
from .limits import Budget, Where
from .manifest import docker_plan, oci_plan, parse_json
from .paths import normalize
from .progress import Progress
from .tarstream import BLOCK, Peekable, Source, decompressed, iter_tar, looks_compressed, looks_like_tar, read_all

_DOCKER_NAMES = re.compile(r"^(?:[0-9a-f]{64}(?:/.*|\.json)|manifest\.json|repositories)$")
_OCI_NAMES = re.compile(r"^(?:oci-layout|index\.json|blobs(?:/.*)?)$")
# How many leading members format detection looks at.
_SNIFF_MEMBERS = 4


def sniff_archive(path: Path) -> str:
    """"docker-archive", "oci-archive" or "" from the names of the first members.

    Reads a few headers only: `docker save` writes manifest.json last, so the
    full answer needs the whole archive, which `read_archive` reads anyway.
    """
    where = Where(str(path))
    try:
        with open(path, "rb") as handle:
            stream, _ = decompressed(handle, where)
            for count, (entry, _data) in enumerate(iter_tar(stream, where, Budget())):
                name = _member_name(entry.name)
                if _DOCKER_NAMES.match(name):
                    return "docker-archive"
                if _OCI_NAMES.match(name):
                    return "oci-archive"
                if count + 1 >= _SNIFF_MEMBERS:
                    break
    except (OSError, InputError):  # unreadable or not a tar: not this format
        return ""
    return ""


def read_archive(source: Source, where: Where, options: ExtractOptions, budget: Budget,
                 progress: Progress) -> tuple[Facts, str]:
    """Facts of the image in the archive, and the archive's format."""
    stream, _ = decompressed(source, where)
    plan_read = read_plan(options)
    blobs: dict[str, bytes] = {}
    oversized: dict[str, int] = {}  # JSON members too large to hold → their size, for the error if needed
    layers: dict[str, Layer] = {}
    links: dict[str, str] = {}
    for entry, data in iter_tar(stream, where, budget):
        name = _member_name(entry.name)
        member = where.inside(name)
        if entry.type == "symlink":
            # `docker save` links a layer stored twice to its first copy.
            base = name.rsplit("/", 1)[0] if "/" in name else ""
            links[name] = _member_name(f"{base}/{entry.linkname}")
        elif entry.type == "hardlink":
            links[name] = _member_name(entry.linkname)
        elif entry.type == "file":
            head = Peekable(data)
            first = head.peek(BLOCK)
            if looks_like_tar(first) or looks_compressed(first):
                label = f"layer {len(layers) + 1}"
                layers[name] = read_layer(progress.track(head, label, entry.size), member, plan_read, budget)
            elif first.lstrip()[:1] in (b"{", b"["):
                if entry.size > budget.limits.max_json_bytes:
                    budget.warn(f"{member.pointer}: JSON member of {entry.size:,} bytes skipped "
                                f"(over the {budget.limits.max_json_bytes:,}-byte limit)")
                    oversized[name] = entry.size
                    blobs.pop(name, None)  # a later member of the same name replaces an earlier one
                    continue
                oversized.pop(name, None)
                budget.hold_json(entry.size, member)
                blobs[name] = read_all(head)
    progress.finish()

    def blob(name: str, at: Where) -> bytes:
        member = _follow(name, links, at, budget)
        found = blobs.get(member)
        if member in oversized:
            raise at.inside(member).error(_too_large(oversized[member], budget))
        if found is None:
            raise at.error(f"the archive has no JSON member {name}")
        return found

    def layer(name: str) -> Layer:
        found = layers.get(_follow(name, links, where, budget))
        if found is None:
            raise where.error(f"the archive has no layer {name}")
        return found

    if "manifest.json" in blobs:
        fmt = "docker-archive"
        manifest = where.inside("manifest.json")
        plan = docker_plan(parse_json(blobs["manifest.json"], manifest), manifest, budget)
    elif "index.json" in blobs:
        fmt = "oci-archive"
        index = parse_json(blobs["index.json"], where.inside("index.json"))
        plan = oci_plan(index, lambda name, at: parse_json(blob(name, at), at.inside(name)), where, budget)
    elif "manifest.json" in oversized or "index.json" in oversized:
        name = "manifest.json" if "manifest.json" in oversized else "index.json"
        raise where.inside(name).error(_too_large(oversized[name], budget))
    else:
        raise where.error("no manifest.json (docker save) or index.json (OCI) in the archive: not an image archive")
    config = blob(plan.config, where)
    facts = build_facts(config, plan, [layer(name) for name in plan.layers], options, budget, where)
    return facts, fmt


def _too_large(size: int, budget: Budget) -> str:
    return f"is {size:,} bytes, over the {budget.limits.max_json_bytes:,}-byte limit for JSON metadata; not read"


def _member_name(name: str) -> str:
    return normalize(name)[0][1:]


def _follow(name: str, links: dict[str, str], where: Where, budget: Budget) -> str:
    name = _member_name(name)
    for _ in range(budget.limits.max_link_hops):
        if name not in links:
            return name
        name = links[name]
    raise where.error(f"link loop at archive member {name}")
