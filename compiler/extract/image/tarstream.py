"""A streaming tar reader with hard limits, for untrusted archives.

`tarfile` is not used for reading: in stream mode it reads PAX and GNU
long-name headers of any declared size into memory, keeps every member's
header for the life of the archive, and treats a truncated or garbled header
in the middle of an archive as its end. This reader holds one header at a
time, bounds header extensions, charges every byte to a `Budget` and reports
truncation as an error.

Sources are anything with `read(n)` that returns at most `n` bytes and `b""` at
the end: files, pipes, the Docker daemon's HTTP stream.
"""

from __future__ import annotations

import hashlib
import zlib
from dataclasses import dataclass
from typing import Iterator, Protocol

from ..numbers import clip, decimal
from .limits import Budget, Where

BLOCK = 512
CHUNK = 1 << 20

_TYPES = {
    b"0": "file", b"\0": "file", b"7": "file",
    b"1": "hardlink", b"2": "symlink", b"3": "char", b"4": "block",
    b"5": "dir", b"6": "fifo",
}
# Types whose header is followed by no data, whatever their size field says.
_HEADER_ONLY = {"hardlink", "symlink", "char", "block", "dir", "fifo"}

_PAX_KEYS = frozenset({"path", "linkpath", "size", "uid", "gid"})

_GZIP = b"\x1f\x8b"
_OTHER_COMPRESSION = {
    b"\x28\xb5\x2f\xfd": "zstd",
    b"BZh": "bzip2",
    b"\xfd7zXZ\x00": "xz",
}


class Source(Protocol):
    def read(self, n: int, /) -> bytes: ...


@dataclass
class TarEntry:
    name: str
    type: str
    mode: int
    uid: int
    gid: int
    size: int
    linkname: str


class Peekable:
    """A source whose first bytes can be looked at before reading them."""

    def __init__(self, source: Source):
        self._source = source
        self._head = b""

    def peek(self, n: int) -> bytes:
        while len(self._head) < n:
            more = self._source.read(n - len(self._head))
            if not more:
                break
            self._head += more
        return self._head[:n]

    def read(self, n: int) -> bytes:
        if self._head:
            out, self._head = self._head[:n], self._head[n:]
            return out
        return self._source.read(n)


class Digesting:
    """Counts and hashes what passes through, e.g. to compute a layer's diff id."""

    def __init__(self, source: Source):
        self._source = source
        self._hash = hashlib.sha256()
        self.size = 0

    def read(self, n: int) -> bytes:
        data = self._source.read(n)
        self._hash.update(data)
        self.size += len(data)
        return data

    def drain(self) -> None:
        while self.read(CHUNK):
            pass

    @property
    def digest(self) -> str:
        return "sha256:" + self._hash.hexdigest()


class Gunzip:
    """gzip decompression that never produces more than `n` bytes per read.

    Output is bounded per call so a highly compressed bomb cannot balloon in
    memory between two budget checks; concatenated gzip members are read on.
    """

    def __init__(self, source: Source, where: Where):
        self._source = source
        self._where = where
        self._inflate = zlib.decompressobj(16 + zlib.MAX_WBITS)

    def read(self, n: int) -> bytes:
        try:
            while True:
                tail = self._inflate.unconsumed_tail
                if tail:
                    out = self._inflate.decompress(tail, n)
                elif self._inflate.eof:
                    rest = self._inflate.unused_data or self._source.read(CHUNK)
                    if not rest:
                        return b""
                    if not rest.startswith(_GZIP[:len(rest)]):
                        raise self._where.error("garbage after the end of the gzip stream")
                    self._inflate = zlib.decompressobj(16 + zlib.MAX_WBITS)
                    out = self._inflate.decompress(rest, n)
                else:
                    chunk = self._source.read(CHUNK)
                    if not chunk:
                        raise self._where.error("truncated gzip stream")
                    out = self._inflate.decompress(chunk, n)
                if out:
                    return out
        except zlib.error as exc:
            raise self._where.error(f"corrupt gzip data ({exc})") from None


def decompressed(source: Source, where: Where) -> tuple[Source, str]:
    """The tar stream inside `source` and its compression ("" when none)."""
    peekable = Peekable(source)
    head = peekable.peek(6)
    if head.startswith(_GZIP):
        return Gunzip(peekable, where), "gzip"
    for magic, name in _OTHER_COMPRESSION.items():
        if head.startswith(magic):
            raise where.error(f"{name}-compressed layers are not supported (gzip and uncompressed are)")
    return peekable, ""


def looks_compressed(head: bytes) -> bool:
    return head.startswith(_GZIP) or any(head.startswith(magic) for magic in _OTHER_COMPRESSION)


def looks_like_tar(head: bytes) -> bool:
    """True for a tar header block (or the empty archive's zero block)."""
    if len(head) < BLOCK:
        return False
    if head[:BLOCK] == bytes(BLOCK):
        return True
    return head[257:262] == b"ustar" or _checksum_ok(head[:BLOCK])


def iter_tar(source: Source, where: Where, budget: Budget) -> Iterator[tuple[TarEntry, "MemberReader"]]:
    """Members of the tar in `source`, each with a reader over its data.

    The reader is valid until the next member is requested; unread data is
    skipped. After the end-of-archive marker the source is read to its end so
    that a digest computed around it covers the whole stream.
    """
    overrides: dict[str, str] = {}
    global_overrides: dict[str, str] = {}
    while True:
        block = _read_exact(source, BLOCK, where, allow_eof=True)
        if not block or block == bytes(BLOCK):
            while data := source.read(CHUNK):
                budget.charge(len(data), where)
            return
        budget.charge(BLOCK, where)
        if not _checksum_ok(block):
            raise where.error("corrupt tar header (checksum mismatch)")
        kind = block[156:157]
        size = _number(block[124:136], where)
        if kind in (b"x", b"g", b"L", b"K"):
            # Counted like members, so endless extension headers end too.
            budget.count_member(where)
            if size > budget.limits.max_header_bytes:
                raise where.error(f"tar extension header of {size} bytes (limit {budget.limits.max_header_bytes})")
            payload = _read_exact(source, _padded(size), where)[:size]
            budget.charge(_padded(size), where)
            if kind == b"x":
                overrides.update(_pax_records(payload, where))
            elif kind == b"g":
                global_overrides.update(_pax_records(payload, where))
            else:
                key = "path" if kind == b"L" else "linkpath"
                overrides[key] = payload.split(b"\0", 1)[0].decode("utf-8", errors="replace")
            continue
        entry = _entry(block, {**global_overrides, **overrides}, where)
        overrides = {}
        if entry is None:  # a volume label: no file
            _skip(source, _padded(size), where, budget)
            continue
        member_where = where.inside(entry.name)
        budget.count_member(member_where)
        if len(entry.name) > budget.limits.max_path_length:
            raise member_where.error(f"member name longer than {budget.limits.max_path_length} characters")
        data_size = 0 if entry.type in _HEADER_ONLY else entry.size
        budget.check_declared(data_size, member_where)
        reader = MemberReader(source, data_size, member_where, budget)
        yield entry, reader
        reader.skip_rest()
        _skip(source, _padded(data_size) - data_size, where, budget)


class MemberReader:
    def __init__(self, source: Source, size: int, where: Where, budget: Budget):
        self._source = source
        self._left = size
        self._where = where
        self._budget = budget

    def read(self, n: int = CHUNK) -> bytes:
        if self._left <= 0:
            return b""
        data = self._source.read(min(n, self._left, CHUNK))
        if not data:
            raise self._where.error(f"truncated archive: {self._left} bytes of this member are missing")
        self._left -= len(data)
        self._budget.charge(len(data), self._where)
        return data

    def skip_rest(self) -> None:
        while self.read():
            pass


def _entry(block: bytes, overrides: dict[str, str], where: Where) -> TarEntry | None:
    kind = block[156:157]
    if kind == b"V":
        return None
    name = overrides.get("path") or _name(block)
    linkname = overrides.get("linkpath") or _cstr(block[157:257])
    if kind == b"S":
        raise where.inside(name).error("sparse tar members are not supported")
    if kind in (b"M", b"N"):
        raise where.inside(name).error("multi-volume tar archives are not supported")
    # POSIX: an unknown type is read as a regular file.
    type_ = _TYPES.get(kind, "file")
    if kind in (b"\0", b"0") and name.endswith("/"):
        type_ = "dir"
    return TarEntry(
        name=name,
        type=type_,
        mode=_number(block[100:108], where) & 0o7777,
        uid=int(overrides["uid"]) if "uid" in overrides else _number(block[108:116], where),
        gid=int(overrides["gid"]) if "gid" in overrides else _number(block[116:124], where),
        size=int(overrides["size"]) if "size" in overrides else _number(block[124:136], where),
        linkname=linkname,
    )


def _name(block: bytes) -> str:
    name = _cstr(block[0:100])
    # Only POSIX ustar splits long names into prefix + name; GNU uses the
    # prefix field for other data.
    if block[257:263] == b"ustar\x00":
        prefix = _cstr(block[345:500])
        if prefix:
            return f"{prefix}/{name}"
    return name


def _cstr(field: bytes) -> str:
    return field.split(b"\0", 1)[0].decode("utf-8", errors="replace")


def _number(field: bytes, where: Where) -> int:
    if field and field[0] & 0x80:
        if field[0] == 0xFF:
            raise where.error("negative number in tar header")
        return int.from_bytes(bytes([field[0] & 0x7F]) + field[1:], "big")
    text = field.split(b"\0", 1)[0].strip()
    if not text:
        return 0
    try:
        return int(text, 8)
    except ValueError:
        raise where.error(f"invalid number {text!r} in tar header") from None


def _checksum_ok(block: bytes) -> bool:
    try:
        stored = int(block[148:156].split(b"\0", 1)[0].strip() or b"-1", 8)
    except ValueError:
        return False
    unsigned = sum(block[:148]) + 8 * 32 + sum(block[156:])
    if stored == unsigned:
        return True
    # Some old tars summed the bytes as signed chars.
    return stored == unsigned - 256 * sum(1 for b in block[:148] + block[156:] if b > 127)


def _pax_records(payload: bytes, where: Where) -> dict[str, str]:
    records: dict[str, str] = {}
    pos = 0
    while pos < len(payload):
        space = payload.find(b" ", pos)
        try:
            length = int(payload[pos:space])
        except ValueError:
            raise where.error("malformed PAX header") from None
        end = pos + length
        if space < 0 or length <= 0 or end > len(payload) or payload[end - 1:end] != b"\n":
            raise where.error("malformed PAX header")
        key, sep, value = payload[space + 1:end - 1].partition(b"=")
        if not sep:
            raise where.error("malformed PAX header")
        if key.startswith(b"GNU.sparse."):
            raise where.error("sparse tar members are not supported")
        # Only what regate reads is kept: global headers cannot pile up data.
        if key.decode("ascii", errors="replace") in _PAX_KEYS:
            records[key.decode()] = value.decode("utf-8", errors="replace")
        pos = end
    for key in ("size", "uid", "gid"):
        if key in records and decimal(records[key]) is None:
            raise where.error(f"invalid PAX {key} {clip(records[key])!r}: expected a decimal number in 64-bit range")
    return records


def _padded(size: int) -> int:
    return -(-size // BLOCK) * BLOCK


def _read_exact(source: Source, n: int, where: Where, allow_eof: bool = False) -> bytes:
    parts = []
    got = 0
    while got < n:
        data = source.read(n - got)
        if not data:
            if allow_eof and got == 0:
                return b""
            raise where.error("truncated archive")
        parts.append(data)
        got += len(data)
    return b"".join(parts)


def _skip(source: Source, n: int, where: Where, budget: Budget) -> None:
    while n > 0:
        data = source.read(min(n, CHUNK))
        if not data:
            raise where.error("truncated archive")
        n -= len(data)
        budget.charge(len(data), where)


def read_all(source: Source) -> bytes:
    return b"".join(iter(lambda: source.read(CHUNK), b""))
