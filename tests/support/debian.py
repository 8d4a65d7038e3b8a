"""A real Debian root filesystem (mmdebstrap) as a one-layer docker-archive.

Built once a day into `.tools/cache/` (the archive's name carries the date,
as the mirror moves on) and reused by every later run that day; older
archives are removed when a new one is built. A file lock lets pytest-xdist
workers share one build.
"""

from __future__ import annotations

import fcntl
import os
import subprocess
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

from .images import ImageSpec, LayerSpec, write_docker_archive

CACHE = Path(__file__).resolve().parents[2] / ".tools" / "cache"
SUITE = "bookworm"
VARIANT = "minbase"
TAG = f"regate-test/debian:{SUITE}"


class BuildFailed(RuntimeError):
    pass


def debian_archive(cache: Path = CACHE, timeout: float = 900) -> tuple[Path, float]:
    """The cached archive (building it if needed) and the seconds this call took."""
    started = time.monotonic()
    today = datetime.now(timezone.utc).strftime("%Y%m%d")
    target = cache / f"debian-{SUITE}-{VARIANT}-{today}.docker.tar"
    cache.mkdir(parents=True, exist_ok=True)
    with open(cache / "debian.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not target.exists():
            _build(target, today, timeout)
            for stale in cache.glob(f"debian-{SUITE}-{VARIANT}-*.docker.tar"):
                if stale != target:
                    stale.unlink()
    return target, time.monotonic() - started


def _build(target: Path, today: str, timeout: float) -> None:
    midnight = int(datetime.strptime(today, "%Y%m%d").replace(tzinfo=timezone.utc).timestamp())
    with tempfile.TemporaryDirectory(dir=target.parent, prefix="debian-build-") as tmp:
        rootfs = Path(tmp) / "rootfs.tar"
        try:
            done = subprocess.run(
                ["mmdebstrap", f"--variant={VARIANT}", SUITE, str(rootfs)],
                env={**os.environ, "SOURCE_DATE_EPOCH": str(midnight)},
                capture_output=True, text=True, timeout=timeout, stdin=subprocess.DEVNULL,
            )
        except (OSError, subprocess.TimeoutExpired) as exc:
            raise BuildFailed(f"mmdebstrap could not run: {exc}") from None
        if done.returncode != 0:
            raise BuildFailed(f"mmdebstrap failed ({done.returncode}): {done.stderr[-2000:]}")
        spec = ImageSpec(
            layers=(LayerSpec(f"mmdebstrap --variant={VARIANT} {SUITE}", tar_path=rootfs),),
            config={"Env": ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"],
                    "Cmd": ["bash"]},
            tag=TAG,
        )
        partial = Path(tmp) / "image.tar"
        write_docker_archive(spec, partial)
        os.replace(partial, target)
