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
import re
from contextlib import nullcontext
from dataclasses import dataclass, field
from functools import cached_property
from itertools import count
from pathlib import Path
from typing import Any, Iterator, Sequence

from .. import secrets
from ..globs import compile_globs, is_glob
from ..contentsearch import ContentSearch
from . import verify
from .limits import Budget, Where
from .paths import normalize, resolve_path
from .tarstream import CHUNK, Digesting, MemberReader, Source, TarEntry, decompressed, iter_tar

WHITEOUT = ".wh."
OPAQUE = ".wh..wh..opq"
_NO_COPY = nullcontext()


@dataclass(frozen=True)
class ReadPlan:
    """What to keep from file contents while streaming."""

    capture: frozenset[str]
    max_content_bytes: int
    scan_secrets: bool
    secret_scan_max_bytes: int
    content_search: ContentSearch | None = None
    # Package verification: keep the package databases, and the MD5 (dpkg) and SHA-1 (apk) of every file.
    verify: bool = False
    # A directory to copy every regular file into (for the malware scan), one flat file each.
    unpack_dir: str = ""
    _copies: Iterator[int] = field(default_factory=count, compare=False)

    @cached_property
    def capture_names(self) -> frozenset[str]:
        return frozenset(path.rsplit("/", 1)[1] for path in self.capture if not is_glob(path))

    @cached_property
    def capture_globs(self) -> re.Pattern | None:
        return compile_globs(path for path in self.capture if is_glob(path))

    def captures(self, path: str) -> bool:
        """Whether to keep the file's contents. A file seen through a directory symlink keeps its
        name (`/etc -> /real` shows /real/passwd as /etc/passwd), and which symlinks the image has
        is known only at its end: files named like a captured path are kept too (globs match
        whole paths only: a name pattern would keep every `*.conf` of the image)."""
        return (path in self.capture or path.rsplit("/", 1)[1] in self.capture_names
                or (self.capture_globs is not None and self.capture_globs.fullmatch(path) is not None)
                or (self.verify and verify.captures(path)))


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
    secrets: Sequence[dict[str, Any]] = ()  # not a list per entry: most files have no findings
    secret_values: frozenset[str] = frozenset()
    stored: str = ""  # the copy written to the plan's unpack_dir, when there is one
    content_matches: tuple[str, ...] = ()  # names of the content-search patterns the file matches
    md5: bytes = b""  # for package verification only
    sha1: bytes = b""


@dataclass
class Layer:
    entries: dict[str, FileEntry] = field(default_factory=dict)
    symlinks: set[str] = field(default_factory=set)
    whiteouts: list[str] = field(default_factory=list)
    opaque_dirs: list[str] = field(default_factory=list)
    diff_id: str = ""
    size: int = 0
    blob_digest: str = ""
    blob_size: int = 0


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
    if layer.symlinks and _below_symlink(parent, layer.symlinks):
        # Unpacking writes through a symlink the same layer created earlier.
        resolved = resolve_path(parent, layer.entries.get, budget.limits.max_link_hops)
        if resolved is None:
            raise where.inside(entry.name).error("member path goes through a symlink loop")
        parent = resolved
        path = f"{parent.rstrip('/')}/{base}"
    budget.hold_file(path, where.inside(entry.name))  # whiteouts too: a million of them fill memory as well
    if base == OPAQUE:
        layer.opaque_dirs.append(parent)
        return
    if base.startswith(WHITEOUT):
        # `.wh..wh.*` other than the opaque marker is AUFS bookkeeping.
        if base.startswith(WHITEOUT + WHITEOUT):
            return
        hidden = base[len(WHITEOUT):]
        if hidden in ("", ".", ".."):
            # Read literally it would delete its own directory (the whole image for `/.wh.`).
            raise where.inside(entry.name).error(f"whiteout {base!r} names no file; the image is malformed")
        layer.whiteouts.append(f"{parent.rstrip('/')}/{hidden}")
        return
    item = FileEntry(path=path, type=entry.type, mode=entry.mode, uid=entry.uid, gid=entry.gid)
    if entry.type == "symlink":
        # Kept as written (what readlink shows); resolution clamps at the root.
        item.link_target = entry.linkname
        layer.symlinks.add(path)
    elif entry.type == "hardlink":
        target, escaped = normalize(entry.linkname)
        if escaped:
            budget.warn(f"{where.inside(entry.name).pointer}: hard link target leaves the image root; read as {target}")
        item.link_target = target
    elif entry.type == "file":
        _read_file(item, data, plan, budget, where.inside(entry.name))
    if entry.type != "symlink":
        layer.symlinks.discard(path)
    layer.entries[path] = item


def _below_symlink(path: str, symlinks: set[str]) -> bool:
    while path:
        if path in symlinks:
            return True
        path = path.rsplit("/", 1)[0]
    return False


def _read_file(item: FileEntry, data: MemberReader, plan: ReadPlan, budget: Budget, where: Where) -> None:
    keep = 0
    if plan.scan_secrets or plan.content_search:
        keep = plan.secret_scan_max_bytes
    captured = plan.captures(item.path)
    limit = verify.content_limit(item.path, plan.max_content_bytes) if plan.verify else plan.max_content_bytes
    if captured:
        keep = max(keep, limit)
    digest = hashlib.sha256()
    # Package databases record MD5 (dpkg) and SHA-1 (apk); which files they own is known only at the end.
    more = (hashlib.md5(), hashlib.sha1()) if plan.verify else ()
    head = bytearray()
    size = 0
    copy = None
    if plan.unpack_dir:
        item.stored = str(Path(plan.unpack_dir) / str(next(plan._copies)))
        copy = open(item.stored, "wb")
    with copy or _NO_COPY:
        while chunk := data.read(CHUNK):
            digest.update(chunk)
            for other in more:
                other.update(chunk)
            size += len(chunk)
            if len(head) < keep:
                head += chunk[: keep - len(head)]
            if copy is not None:
                copy.write(chunk)
    item.size = size
    item.sha256 = digest.hexdigest()
    if more:
        item.md5, item.sha1 = more[0].digest(), more[1].digest()
    if captured and size <= limit:
        budget.hold_content(size, where)
        item.contents = bytes(head)
    if plan.content_search and 0 < size <= plan.secret_scan_max_bytes:
        item.content_matches = plan.content_search.matches(bytes(head))
    if plan.scan_secrets and 0 < size <= plan.secret_scan_max_bytes:
        scan = secrets.scan_bytes(bytes(head), item.path)
        item.secrets, item.secret_values = scan.findings, scan.values
