"""Packages of an image, listed by running Syft on it.

Syft's JSON goes through regate's Syft adapter, so packages read from an image
are shaped exactly like packages read from a Syft report the user supplies.
"""

from __future__ import annotations

import os
import subprocess
import tempfile
from pathlib import Path
from typing import Any

from ... import progress
from ...errors import InputError
from ..adapters.syft import SyftJson
from ..base import Source
from ..jsonload import load_json
from ..tools import find_syft

# Syft on a multi-GB image takes minutes, not hours.
TIMEOUT_SECONDS = 30 * 60


def syft_packages(target: str, label: str, show_progress: bool = False) -> tuple[dict[str, Any], Source] | None:
    """Syft's packages for `target` (`docker-archive:PATH`, `oci-dir:PATH`,
    `oci-archive:PATH` or `docker:REF`) and the Syft that listed them; None when
    Syft is not installed. `label` names the image in errors."""
    syft = find_syft()
    if syft is None:
        return None
    env = {**os.environ, "SYFT_CHECK_FOR_APP_UPDATE": "false"}
    with tempfile.TemporaryDirectory(prefix="regate-syft-") as tmp:
        out = Path(tmp) / "syft.json"
        try:
            with progress.step(f"syft: listing the packages of {label}", show_progress):
                done = subprocess.run(
                    [syft, "scan", target, "-q", "-o", f"syft-json={out}"],
                    env=env, capture_output=True, text=True, timeout=TIMEOUT_SECONDS, stdin=subprocess.DEVNULL,
                )
        except subprocess.TimeoutExpired:
            raise InputError(label, f"syft did not finish within {TIMEOUT_SECONDS} s") from None
        if done.returncode != 0 or not out.is_file():
            reason = (done.stderr.strip().splitlines() or [f"exit code {done.returncode}"])[-1][:300]
            raise InputError(label, f"syft failed to list the packages: {reason}")
        extraction = SyftJson().extract(load_json(out), str(out))
    source = Source(extraction.source.tool, extraction.source.format, extraction.source.version, target)
    return extraction.facts.get("packages", {}), source
