"""Writing files so that readers see the old content or the new, never half of it."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from .errors import UserError


def write_atomically(path: Path, content: bytes | str, make_parents: bool = False, durable: bool = True) -> None:
    """Write to a temporary file beside `path`, flush it to disk (`durable`), then rename it over `path`.

    Without `durable`, readers still see the old content or the new, but a machine that crashes
    right after may keep neither: for output a rerun makes again, where the flush to disk would
    cost more than the rest of the write (a 7 MB report: ~5 ms on a local disk, far more on a
    network volume).

    Only regular files are replaced: `-o /dev/null` or a named pipe is written
    to as it is (renaming over a device would swap it for a plain file), and a
    symbolic link is followed so the link survives.
    """
    path = Path(path)
    data = content.encode("utf-8") if isinstance(content, str) else content
    if path.exists() and not path.is_file():
        try:
            with open(path, "wb") as handle:
                handle.write(data)
        except OSError as exc:
            raise UserError(f"cannot write {path}: {exc.strerror}") from None
        return
    if path.is_symlink():
        path = path.resolve()
    directory = path.parent
    if make_parents:
        directory.mkdir(parents=True, exist_ok=True)
    elif not directory.is_dir():
        raise UserError(f"cannot write {path}: directory {directory} does not exist")
    try:
        fd, temporary = tempfile.mkstemp(dir=directory, prefix=f".{path.name}.", suffix=".tmp")
    except OSError as exc:
        raise UserError(f"cannot write {path}: {exc.strerror}") from None
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            if durable:
                handle.flush()
                os.fsync(handle.fileno())
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
