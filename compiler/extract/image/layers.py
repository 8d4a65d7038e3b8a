"""One layer tar → a summary of what it adds and deletes.

A layer is summarised on its own, without knowing its place in the image: a
docker-archive may store its manifest after the layers, and a stream cannot be
rewound. The summaries are stacked in manifest order afterwards
(`filesystem.Filesystem`). A summary holds metadata only, plus the bytes of
files that are captured (configured content paths) and the secret findings of
files small enough to scan.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import Any

from .. import secrets
from .limits import Budget, Where
from .tarstream import CHUNK, Digesting, MemberReader, Source, TarEntry, decompressed, iter_tar

WHITEOUT = ".wh."
OPAQUE = ".wh..wh..opq"


@dataclass(frozen=True)
class ReadPlan:
    """What to keep from file contents while streaming."""

    capture: frozenset[str]
    max_content_bytes: int
    scan_secrets: bool
    secret_scan_max_bytes: int


@dataclass(slots=True)
class FileEntry:
    path: str
    type: str
    mode: int
    uid: int
    gid: int
    size: int = 0
    sha256: str = ""
    link_target: str = ""
    contents: bytes | None = None
    secrets: list[dict[str, Any]] = field(default_factory=list)
    secret_values: frozenset[str] = frozenset()


@dataclass
class Layer:
    entries: dict[str, FileEntry] = field(default_factory=dict)
    whiteouts: list[str] = field(default_factory=list)
    opaque_dirs: list[str] = field(default_factory=list)
    diff_id: str = ""
    size: int = 0
    blob_digest: str = ""
    blob_size: int = 0


def normalize(name: str) -> tuple[str, bool]:
    """The absolute path `name` denotes inside the image root, and whether it
    tried to leave the root (`..` past `/`): like a chroot, it cannot."""
    parts: list[str] = []
    escaped = False
    for part in name.split("/"):
        if part in ("", "."):
            continue
        if part == "..":
            if parts:
                parts.pop()
            else:
                escaped = True
            continue
        parts.append(part)
    return "/" + "/".join(parts), escaped


def read_layer(source: Source, where: Where, plan: ReadPlan, budget: Budget) -> Layer:
    raw = Digesting(source)
    stream, compression = decompressed(raw, where)
    # Uncompressed, the blob is the tar: one digest serves as both.
    tar = Digesting(stream) if compression else None
    layer = Layer()
    for entry, data in iter_tar(tar or stream, where, budget):
        _add(layer, entry, data, where, plan, budget)
    raw.drain()
    layer.diff_id, layer.size = (tar or raw).digest, (tar or raw).size
    layer.blob_digest, layer.blob_size = raw.digest, raw.size
    return layer


def _add(layer: Layer, entry: TarEntry, data: MemberReader, where: Where, plan: ReadPlan, budget: Budget) -> None:
    path, escaped = normalize(entry.name)
    if escaped:
        budget.warn(f"{where.inside(entry.name).pointer}: member name leaves the image root; read as {path}")
    if path == "/":
        return
    parent, base = path.rsplit("/", 1)
    parent = parent or "/"
    if base == OPAQUE:
        layer.opaque_dirs.append(parent)
        return
    if base.startswith(WHITEOUT):
        # `.wh..wh.*` other than the opaque marker is AUFS bookkeeping.
        if not base.startswith(WHITEOUT + WHITEOUT):
            layer.whiteouts.append(f"{parent.rstrip('/')}/{base[len(WHITEOUT):]}")
        return
    item = FileEntry(path=path, type=entry.type, mode=entry.mode, uid=entry.uid, gid=entry.gid)
    if entry.type == "symlink":
        # Kept as written (what readlink shows); resolution clamps at the root.
        item.link_target = entry.linkname
    elif entry.type == "hardlink":
        target, escaped = normalize(entry.linkname)
        if escaped:
            budget.warn(f"{where.inside(entry.name).pointer}: hard link target leaves the image root; read as {target}")
        item.link_target = target
    elif entry.type == "file":
        _read_file(item, data, plan)
    layer.entries[path] = item


def _read_file(item: FileEntry, data: MemberReader, plan: ReadPlan) -> None:
    keep = 0
    if plan.scan_secrets:
        keep = plan.secret_scan_max_bytes
    if item.path in plan.capture:
        keep = max(keep, plan.max_content_bytes)
    digest = hashlib.sha256()
    head = bytearray()
    size = 0
    while chunk := data.read(CHUNK):
        digest.update(chunk)
        size += len(chunk)
        if len(head) < keep:
            head += chunk[: keep - len(head)]
    item.size = size
    item.sha256 = digest.hexdigest()
    if item.path in plan.capture and size <= plan.max_content_bytes:
        item.contents = bytes(head)
    if plan.scan_secrets and size <= plan.secret_scan_max_bytes:
        scan = secrets.scan_bytes(bytes(head), item.path)
        item.secrets, item.secret_values = scan.findings, scan.values
