"""Installed RPMs' file records from an RPM database in SQLite (`rpmdb.sqlite`, RPM ≥ 4.16: Fedora 33+,
RHEL 9, ...), for package verification.

Each row of its `Packages` table is an RPM header: an index of (tag, type, offset, count) entries
over a data store. Only the tags verification needs are read. Berkeley DB databases (older RPM)
are not read.
"""

from __future__ import annotations

import sqlite3
import struct
import tempfile
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path

_NAME, _FILEMODES, _FILEDIGESTS, _FILELINKTOS, _FILEFLAGS = 1000, 1030, 1035, 1036, 1037
_DIRINDEXES, _BASENAMES, _DIRNAMES, _FILEDIGESTALGO = 1116, 1117, 1118, 5011
_INT16, _INT32, _STRING, _STRING_ARRAY = 3, 4, 6, 8
# RPMFILE_CONFIG (left to the admin, as dpkg's conffiles), RPMFILE_GHOST (never shipped)
_CONFIG, _GHOST = 1, 64
ALGORITHMS = {1: "md5", 2: "sha1", 8: "sha256", 9: "sha384", 10: "sha512"}


@dataclass(frozen=True)
class RpmFile:
    path: str
    mode: int
    digest: str  # hex, empty for anything but a regular file
    link_to: str


@dataclass(frozen=True)
class RpmPackage:
    name: str
    algorithm: str
    files: tuple[RpmFile, ...]


class Unreadable(Exception):
    pass


def _header(blob: bytes) -> dict[int, object]:
    try:
        count, size = struct.unpack_from(">II", blob)
        store = 8 + 16 * count
        values: dict[int, object] = {}
        for index in range(count):
            tag, kind, offset, number = struct.unpack_from(">IIiI", blob, 8 + 16 * index)
            at = store + offset
            if kind == _STRING:
                values[tag] = blob[at:blob.index(b"\0", at)].decode("utf-8", "replace")
            elif kind == _STRING_ARRAY:
                parts = []
                for _ in range(number):
                    end = blob.index(b"\0", at)
                    parts.append(blob[at:end].decode("utf-8", "replace"))
                    at = end + 1
                values[tag] = parts
            elif kind in (_INT16, _INT32):
                width = 2 if kind == _INT16 else 4
                values[tag] = list(struct.unpack_from(f">{number}{'H' if width == 2 else 'I'}", blob, at))
        if store + size > len(blob):
            raise Unreadable("a header is cut short")
        return values
    except (struct.error, ValueError) as exc:
        raise Unreadable(f"a header is malformed ({exc})") from None


def _package(header: dict[int, object]) -> RpmPackage:
    basenames = header.get(_BASENAMES) or []
    dirnames, dirindexes = header.get(_DIRNAMES) or [], header.get(_DIRINDEXES) or []
    modes, flags = header.get(_FILEMODES) or [], header.get(_FILEFLAGS) or []
    digests, links = header.get(_FILEDIGESTS) or [], header.get(_FILELINKTOS) or []
    if not all(len(values) == len(basenames) for values in (dirindexes, modes, flags, digests, links)):
        raise Unreadable(f"{header.get(_NAME)}: its file lists differ in length")
    files = tuple(
        RpmFile(dirnames[dirindexes[i]] + basenames[i], modes[i], digests[i], links[i])
        for i in range(len(basenames)) if not flags[i] & (_CONFIG | _GHOST)
    )
    algorithm = ALGORITHMS.get((header.get(_FILEDIGESTALGO) or [1])[0], "")
    return RpmPackage(str(header.get(_NAME) or ""), algorithm, files)


def read_packages(database: bytes, wal: bytes | None) -> list[RpmPackage]:
    """The packages of an rpmdb.sqlite (and its write-ahead log, which may hold the latest rows)."""
    with tempfile.TemporaryDirectory(prefix="regate-rpmdb-") as tmp:
        path = Path(tmp) / "rpmdb.sqlite"
        path.write_bytes(database)
        if wal:
            Path(f"{path}-wal").write_bytes(wal)
        try:
            with closing(sqlite3.connect(path)) as connection:
                blobs = [row[0] for row in connection.execute("SELECT blob FROM Packages")]
        except sqlite3.Error as exc:
            raise Unreadable(f"not an RPM SQLite database ({exc})") from None
    return [_package(_header(blob)) for blob in blobs if isinstance(blob, bytes)]
