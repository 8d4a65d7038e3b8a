"""OPA bundles: a reproducible `.tar.gz` (or a directory) with a `.manifest`.

The revision is a hash of the contents, and tar/gzip headers carry no time,
owner or host, so the same sources give byte-identical bundles.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import os
import shutil
import tarfile
import tempfile
from pathlib import Path

from .atomic import write_atomically
from .compile import Compiled, canonical_json
from .errors import UserError
from .signing import SIGNATURES, Signing, signatures_file

ROOTS = ["regate"]


def manifest(files: dict[str, bytes]) -> dict:
    digest = hashlib.sha256()
    for name, content in sorted(files.items()):
        digest.update(name.encode() + b"\0" + hashlib.sha256(content).digest())
    return {
        "revision": digest.hexdigest(),
        "roots": ROOTS,
        "rego_version": 1,
        "metadata": {"generator": "regate"},
    }


def bundle_files(compiled: Compiled, signing: Signing | None = None) -> dict[str, bytes]:
    files = dict(compiled.files)
    files[".manifest"] = canonical_json(manifest(compiled.files))
    if signing is not None:
        files[SIGNATURES] = signatures_file(files, signing)
    return dict(sorted(files.items()))


def tarball(files: dict[str, bytes]) -> bytes:
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w", format=tarfile.PAX_FORMAT) as tar:
        for name, content in sorted(files.items()):
            info = tarfile.TarInfo(name)
            info.size = len(content)
            info.mode = 0o644
            info.mtime = 0
            info.uid = info.gid = 0
            info.uname = info.gname = ""
            tar.addfile(info, io.BytesIO(content))
    out = io.BytesIO()
    with gzip.GzipFile(fileobj=out, mode="wb", mtime=0, filename="") as gz:
        gz.write(raw.getvalue())
    return out.getvalue()


def write_bundle(compiled: Compiled, out: Path, signing: Signing | None = None) -> str:
    """Write a .tar.gz bundle, signed if `signing` says how; returns its revision."""
    files = bundle_files(compiled, signing)
    write_atomically(out, tarball(files))
    return manifest(compiled.files)["revision"]


def write_directory(compiled: Compiled, out: Path) -> str:
    """Write the bundle's files into a directory (loadable with `opa run -b DIR`).

    An existing directory is replaced only if it holds a bundle (a .manifest),
    so stale modules never linger and nothing else is ever deleted. A symbolic
    link is followed, as `write_atomically` does for files: the directory it
    points at is replaced and the link survives (the link itself is never
    handed to rmtree).
    """
    if out.is_symlink():
        try:
            out = out.resolve(strict=False)
        except (OSError, RuntimeError) as exc:
            raise UserError(f"cannot write {out}: the symbolic link cannot be followed ({exc})") from None
    if out.exists() and not out.is_dir():
        raise UserError(f"{out} exists and is not a directory; refusing to overwrite it")
    if out.exists() and any(out.iterdir()) and not (out / ".manifest").exists():
        raise UserError(f"{out} exists and is not a bundle directory; refusing to overwrite it")
    if not out.parent.is_dir():
        raise UserError(f"cannot write {out}: directory {out.parent} does not exist")
    files = bundle_files(compiled)
    try:
        staging = Path(tempfile.mkdtemp(dir=out.parent, prefix=f".{out.name}."))
    except OSError as exc:
        raise UserError(f"cannot write {out}: {exc.strerror}") from None
    try:
        for name, content in files.items():
            (staging / name).parent.mkdir(parents=True, exist_ok=True)
            (staging / name).write_bytes(content)
        if out.exists():
            shutil.rmtree(out)
        os.replace(staging, out)
    except OSError as exc:
        raise UserError(f"cannot write {out}: {exc.strerror or exc}") from None
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return manifest(compiled.files)["revision"]
