"""Package verification: the files of each installed package against its package manager's record,
in the image's final filesystem → `packages[].verify` (Anchore's packages gate, `verify`).

- dpkg: `/var/lib/dpkg/info/<package>[:<arch>].md5sums` (MD5 of each regular file the package
  ships), for the packages `/var/lib/dpkg/status` lists as installed. Conffiles are left out, as
  `dpkg --verify` leaves them to the admin (dpkg records them in `Conffiles:`, not md5sums).
- apk: `/lib/apk/db/installed`, each `R:` file under the `F:` directory before it, with its
  `Z:Q1<base64 SHA-1>` (of the contents; of the target for a symbolic link).

- rpm: the SQLite database (`rpmdb.sqlite`, RPM ≥ 4.16), each file's digest in the package's
  algorithm (SHA-256 nowadays), a symbolic link's target; `%config` and `%ghost` files left out.
  A Berkeley DB database (older RPM) is not read: the image gets a warning.

A path is looked up as the package manager would open it: through directory symbolic links (a
merged /usr), then the file. Only problems are listed: `missing` (no file there any more) or
`changed` (another digest, `expected` and `actual` in the manager's hex or `Q1` form).
"""

from __future__ import annotations

import base64
import hashlib
import stat
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from .rpmdb import Unreadable, read_packages

if TYPE_CHECKING:  # the layer reader asks `captures` while reading, before any filesystem exists
    from .filesystem import Filesystem
    from .layers import FileEntry

DPKG_INFO = "/var/lib/dpkg/info/"
DPKG_STATUS = "/var/lib/dpkg/status"
APK_INSTALLED = "/lib/apk/db/installed"
RPM_SQLITE = ("/var/lib/rpm/rpmdb.sqlite", "/usr/lib/sysimage/rpm/rpmdb.sqlite")
RPM_BERKELEY = ("/var/lib/rpm/Packages", "/usr/lib/sysimage/rpm/Packages")
# Read while streaming, for `verify_packages`, however the content paths are configured.
CAPTURED = frozenset({DPKG_STATUS, APK_INSTALLED, *RPM_SQLITE, *(f"{db}-wal" for db in RPM_SQLITE)})
# An RPM database is far larger than a file regate keeps otherwise (tens of MB on a full distribution).
MAX_RPMDB_BYTES = 48 << 20


def captures(path: str) -> bool:
    return path in CAPTURED or (path.startswith(DPKG_INFO) and path.endswith(".md5sums"))


def content_limit(path: str, default: int) -> int:
    return MAX_RPMDB_BYTES if path in CAPTURED and "/rpm/" in path else default


@dataclass
class Verification:
    # (package type, name) → problems (empty: verified, all files match)
    results: dict[tuple[str, str], list[dict]] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)


def verify_packages(fs: Filesystem, max_hops: int) -> Verification:
    found = Verification()
    _dpkg(fs, max_hops, found)
    _apk(fs, max_hops, found)
    _rpm(fs, max_hops, found)
    for database in RPM_BERKELEY:
        if fs.lookup(database) is not None:
            found.warnings.append(f"{database}: RPM packages are not verified (regate reads RPM's SQLite databases, "
                                  "not Berkeley DB ones)")
    return found


def _text(fs: Filesystem, path: str, max_hops: int) -> str | None:
    entry = fs.resolve(path, max_hops)
    return entry.contents.decode("utf-8", errors="replace") if entry is not None and entry.contents is not None else None


def _stanzas(text: str):
    for block in text.replace("\r\n", "\n").split("\n\n"):
        if block.strip():
            yield block.split("\n")


def _installed_dpkg(status: str) -> dict[str, set[str]]:
    """Installed package name → its conffiles."""
    out: dict[str, set[str]] = {}
    for lines in _stanzas(status):
        fields: dict[str, str] = {}
        conffiles: set[str] = set()
        in_conffiles = False
        for line in lines:
            if line.startswith((" ", "\t")):
                if in_conffiles and line.split():
                    conffiles.add(line.split()[0])
                continue
            name, _, value = line.partition(":")
            fields[name] = value.strip()
            in_conffiles = name == "Conffiles"
        if fields.get("Package") and fields.get("Status", "").endswith(" installed"):
            out.setdefault(fields["Package"], set()).update(conffiles)
    return out


def _dpkg(fs: Filesystem, max_hops: int, found: Verification) -> None:
    status = _text(fs, DPKG_STATUS, max_hops)
    if status is None:
        return
    installed = _installed_dpkg(status)
    for path in sorted(p for p in fs.entries if p.startswith(DPKG_INFO) and p.endswith(".md5sums")):
        name = path[len(DPKG_INFO):-len(".md5sums")].partition(":")[0]
        if name not in installed:
            continue  # a package being removed, or a leftover
        problems = found.results.setdefault(("deb", name), [])
        for line in (_text(fs, path, max_hops) or "").splitlines():
            expected, _, file = line.strip().partition("  ")
            file = "/" + file.lstrip("/")
            if not file.strip("/") or file in installed[name]:
                continue
            entry = fs.resolve(file, max_hops)
            _compare(problems, file, entry, expected.lower(), lambda e: e.md5.hex() if e.md5 else None)


def _apk(fs: Filesystem, max_hops: int, found: Verification) -> None:
    installed = _text(fs, APK_INSTALLED, max_hops)
    if installed is None:
        return
    for lines in _stanzas(installed):
        name, directory, file = "", "", ""
        problems: list[dict] | None = None
        for line in lines:
            tag, _, value = line.partition(":")
            if tag == "P":
                name = value
                problems = found.results.setdefault(("apk", name), [])
            elif tag == "F":
                directory, file = value, ""
            elif tag == "R":
                file = f"/{directory}/{value}".replace("//", "/")
            elif tag == "Z" and file and problems is not None and value.startswith("Q1"):
                link = fs.lookup(file)
                if link is not None and link.type == "symlink":
                    actual = "Q1" + base64.b64encode(hashlib.sha1(link.link_target.encode()).digest()).decode()
                    if actual != value:
                        problems.append({"path": file, "problem": "changed", "expected": value, "actual": actual})
                    continue
                entry = fs.resolve(file, max_hops)
                _compare(problems, file, entry, value, lambda e: "Q1" + base64.b64encode(e.sha1).decode() if e.sha1 else None)


def _rpm(fs: Filesystem, max_hops: int, found: Verification) -> None:
    for database in RPM_SQLITE:
        entry = fs.resolve(database, max_hops)
        if entry is None:
            continue
        if entry.contents is None:
            found.warnings.append(f"{database}: RPM packages are not verified (over {MAX_RPMDB_BYTES:,} bytes)")
            continue
        wal = fs.resolve(f"{database}-wal", max_hops)
        try:
            packages = read_packages(entry.contents, wal.contents if wal is not None else None)
        except Unreadable as exc:
            found.warnings.append(f"{database}: RPM packages are not verified: {exc}")
            continue
        for package in packages:
            problems = found.results.setdefault(("rpm", package.name), [])
            digest = _DIGESTS.get(package.algorithm)
            for file in package.files:
                kind = stat.S_IFMT(file.mode)
                if kind == stat.S_IFLNK:
                    link = fs.lookup(file.path)
                    if link is None:
                        problems.append({"path": file.path, "problem": "missing", "expected": file.link_to})
                    elif link.type != "symlink" or link.link_target != file.link_to:
                        problems.append({"path": file.path, "problem": "changed", "expected": file.link_to,
                                         "actual": link.link_target if link.type == "symlink" else link.type})
                elif kind == stat.S_IFREG and digest is not None and file.digest:
                    _compare(problems, file.path, fs.resolve(file.path, max_hops), file.digest, digest)


# An RPM's file digest algorithm → the digest regate has of a file, hex.
_DIGESTS = {
    "sha256": lambda e: e.sha256 or None,
    "md5": lambda e: e.md5.hex() if e.md5 else None,
    "sha1": lambda e: e.sha1.hex() if e.sha1 else None,
}


def _compare(problems: list[dict], path: str, entry: FileEntry | None, expected: str, digest) -> None:
    if entry is None:
        problems.append({"path": path, "problem": "missing", "expected": expected})
        return
    actual = digest(entry) if entry.type == "file" else None
    if actual is None:
        problems.append({"path": path, "problem": "changed", "expected": expected, "actual": entry.type})
    elif actual != expected:
        problems.append({"path": path, "problem": "changed", "expected": expected, "actual": actual})


def attach(packages: dict[str, dict], verification: Verification) -> int:
    """`verify` on each listed package the verification covers; how many got one."""
    count = 0
    for package in packages.values():
        problems = verification.results.get((package.get("type", ""), package.get("name", "")))
        if problems is not None:
            package["verify"] = [dict(p) for p in problems]
            count += 1
    return count
