"""Compiled bundles cached on disk, so `regate check` in a pipeline compiles
a policy once, not once per image or per run.

An entry lives under `${REGATE_CACHE_DIR:-~/.cache/regate}/bundles/<key>/`,
where the key hashes what the command was given (the policy paths, the
working directory, the expiry date) and what compiles it (the regate version,
a hash of regate's own code and Rego library, the OPA version). The entry
records every file the compile read (policy modules, imports, list and param
data files) with its hash and the policy files the given paths list; it is a
hit only while all of them are unchanged and the cached bundle still hashes
to what was written, so a hit is exactly what a fresh compile would give.
Entries are written atomically, the record last: a crash leaves a miss.
The key changes with the day, the policy, regate and OPA, so entries pile up:
a miss removes those no run has used for `KEEP_DAYS` (a hit marks its entry used).
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import time
from datetime import date, datetime, timezone
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple

from . import __version__
from .errors import UserError
from .policyfiles import policy_files

if TYPE_CHECKING:
    from .diagnostics import Diagnostic
    from .loader import Program

CACHE_ENV = "REGATE_CACHE_DIR"
KEEP_DAYS = 30
_RECORD = "entry.json"
_BUNDLE = "bundle.tar.gz"
# What `_toolchain` last hashed, and the hash.
_TOOLCHAIN = "toolchain.json"


class CompiledBundle(NamedTuple):
    path: Path
    revision: str
    # Where the policy sources' `file:line:col` locations are relative to.
    root: Path
    warnings: tuple[Diagnostic, ...]
    cached: bool


def cache_dir() -> Path:
    return Path(os.environ.get(CACHE_ENV) or Path.home() / ".cache" / "regate")


def compile_cached(paths: list[str | Path], on: date | None, opa_version: str) -> CompiledBundle:
    """The bundle of `paths`, from the cache when nothing it depends on changed.

    Raises `Diagnostics` like `compile_policies` on errors (never cached).
    """
    on = on or datetime.now(timezone.utc).date()
    entry = _entry(paths, on, opa_version)
    found = _hit(entry, paths)
    if found is not None:
        return found
    # Only a miss needs the compiler: a hit, in every later run of a pipeline, does not import it.
    from .atomic import write_atomically
    from .bundle import bundle_files, manifest, tarball
    from .compile import compile_policies

    compiled = compile_policies(list(paths), on)
    content = tarball(bundle_files(compiled))
    write_atomically(entry / _BUNDLE, content, make_parents=True)
    program = compiled.program
    record = {
        "revision": manifest(compiled.files)["revision"],
        "root": str(program.root),
        "bundle_sha256": _sha256(content),
        "listed": _listed(paths),
        "inputs": {str(path): _file_hash(path) for path in _inputs(program)},
        "warnings": [d.as_json() for d in compiled.warnings],
    }
    write_atomically(entry / _RECORD, json.dumps(record, indent=1, sort_keys=True).encode())
    prune(entry.parent)
    return _bundle(entry, record, cached=False)


def cached_bundle(paths: list[str | Path], on: date | None, opa_version: str) -> CompiledBundle | None:
    """What `compile_cached` returns on a hit, else None (without compiling)."""
    return _hit(_entry(paths, on, opa_version), paths)


def _entry(paths, on: date | None, opa_version: str) -> Path:
    return cache_dir() / "bundles" / _key(paths, on or datetime.now(timezone.utc).date(), opa_version)


def prune(folder: Path, keep_days: int = KEEP_DAYS) -> None:
    """Remove the entries of `folder` (files or directories) that no run has used for `keep_days`.
    Best effort: an entry another run removes or holds is left to it."""
    cutoff = time.time() - keep_days * 86400
    try:
        entries = list(folder.iterdir())
    except OSError:
        return
    for entry in entries:
        try:
            if entry.lstat().st_mtime >= cutoff:
                continue
            if entry.is_dir() and not entry.is_symlink():
                shutil.rmtree(entry)
            else:
                entry.unlink()
        except OSError:
            pass


def mark_used(entry: Path) -> None:
    """Keep `entry` from `prune` for another `KEEP_DAYS`."""
    try:
        os.utime(entry)
    except OSError:
        pass


def _hit(entry: Path, paths) -> CompiledBundle | None:
    try:
        record = json.loads((entry / _RECORD).read_text(encoding="utf-8"))
        valid = (
            record["listed"] == _listed(paths)
            and all(_file_hash(Path(path)) == digest for path, digest in record["inputs"].items())
            and _sha256((entry / _BUNDLE).read_bytes()) == record["bundle_sha256"]
        )
    except (OSError, ValueError, KeyError, TypeError):
        return None
    if not valid:
        return None
    mark_used(entry)
    return _bundle(entry, record, cached=True)


def _bundle(entry: Path, record: dict, cached: bool) -> CompiledBundle:
    warnings = _warnings(record["warnings"]) if record["warnings"] else ()
    return CompiledBundle(entry / _BUNDLE, record["revision"], Path(record["root"]), warnings, cached)


def _warnings(recorded: list[dict]) -> tuple[Diagnostic, ...]:
    # Imported only for a policy with warnings: a check's cache hit comes before OPA starts.
    from .diagnostics import Diagnostic, Level, Span

    return tuple(Diagnostic(w["code"], Level(w["level"]), Span(**w["location"]), w["message"], w.get("hint"))
                 for w in recorded)


def _key(paths, on: date, opa_version: str) -> str:
    parts = [__version__, _toolchain(), opa_version, os.getcwd(), on.isoformat(),
             sorted(str(Path(p).resolve()) for p in paths)]
    return _sha256(json.dumps(parts).encode())[:32]


def _listed(paths) -> list[str]:
    # A policy file added to or removed from a given directory changes this.
    return sorted(str(p.resolve()) for p in policy_files(list(paths)))


def _inputs(program: Program) -> list[Path]:
    """Every file the compile read: modules (imports included) and data files."""
    from . import ast  # a miss, which has just compiled, has imported it already

    found = []
    for module in program.modules:
        path = Path(module.path).resolve()
        found.append(path)
        for decl in module.declarations:
            if isinstance(decl, (ast.ListDecl, ast.ParamDecl)) and decl.source is not None:
                found.append((path.parent / decl.source.path).resolve())
    return sorted(set(found))


def _file_hash(path: Path) -> str | None:
    try:
        return _sha256(path.read_bytes())
    except OSError:
        return None


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


@cache
def _toolchain() -> str:
    """A hash of regate's own code, grammar and Rego library: a changed compiler is a miss.

    Remembered in the cache directory under every file's (path, mtime_ns, size), the way Python's
    bytecode cache decides a source changed: hashing all of regate's sources took longer than the
    rest of a cache hit, on every run of a pipeline."""
    stamp = _toolchain_stamp()
    memo = cache_dir() / _TOOLCHAIN
    try:
        remembered = json.loads(memo.read_bytes())
        if stamp is not None and remembered["stamp"] == stamp:
            return remembered["digest"]
    except (OSError, ValueError, KeyError, TypeError):
        pass
    digest = _toolchain_digest()
    if stamp is not None:
        from .atomic import write_atomically  # a hit, before a check's OPA starts, writes nothing

        try:
            write_atomically(memo, json.dumps({"stamp": stamp, "digest": digest}).encode(), make_parents=True)
        except (OSError, UserError):  # an unwritable cache only costs the hash next time
            pass
    return digest


def _toolchain_digest() -> str:
    digest = hashlib.sha256()
    package = Path(__file__).resolve().parent
    from .resources import grammar_file, iter_rego_library

    for path in sorted(package.rglob("*.py")):
        digest.update(path.relative_to(package).as_posix().encode() + b"\0" + path.read_bytes())
    for name, source in iter_rego_library():
        digest.update(name.encode() + b"\0" + source.encode())
    digest.update(grammar_file().read_bytes())
    return digest.hexdigest()


def _toolchain_stamp() -> list | None:
    """(path, mtime_ns, size) of every file under the folders `_toolchain_digest` reads, sorted;
    None when they are not all plain folders (a zipped install is hashed every time)."""
    from . import grammar, rego

    roots = [str(Path(__file__).resolve().parent), *grammar.__path__, *rego.__path__]
    if len(roots) != 3:
        return None
    found: list = []
    try:
        for root in roots:
            _stat_files(root, found)
    except OSError:
        return None
    return sorted(found)


def _stat_files(folder: str, found: list) -> None:
    with os.scandir(folder) as entries:
        for entry in entries:
            if entry.is_dir():
                if entry.name != "__pycache__":  # written by Python, not part of regate
                    _stat_files(entry.path, found)
            else:
                status = entry.stat()
                found.append([entry.path, status.st_mtime_ns, status.st_size])
