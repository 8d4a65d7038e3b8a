"""A private Docker daemon for tests: its own socket, data and exec roots.

Each pytest process (each xdist worker) starts its own daemon under its own
temporary directory, so workers never share state or race on a socket.
Networking is off (`--bridge=none`, no iptables): tests only load, inspect and
save images. The host's /etc/docker/daemon.json is ignored (`--config-file`
points at an empty one).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import docker

from .components import stop_process

STORAGE_DRIVERS = ("overlay2", "vfs")


class DaemonFailed(RuntimeError):
    pass


@dataclass
class Dockerd:
    root: Path
    process: subprocess.Popen
    client: docker.DockerClient | None
    storage_driver: str
    started_in: float

    @property
    def host(self) -> str:
        return f"unix://{self.root / 'd.sock'}"

    def env(self) -> dict[str, str]:
        """The environment under which `docker.from_env()` and Syft reach this daemon."""
        return {**os.environ, "DOCKER_HOST": self.host}

    def stop(self, timeout: float = 20) -> None:
        if self.client is not None:
            self.client.close()
        stop_process(self.process, timeout)
        _unmount_under(self.root)
        shutil.rmtree(self.root, ignore_errors=True)


def start_dockerd(timeout: float = 60) -> Dockerd:
    """A running daemon, trying overlay2 and then vfs (overlay2 fails on some
    nested or unusual filesystems). Raises DaemonFailed with the log tail."""
    errors = []
    for driver in STORAGE_DRIVERS:
        try:
            return _start(driver, timeout)
        except DaemonFailed as exc:
            errors.append(f"{driver}: {exc}")
    raise DaemonFailed("; ".join(errors))


def _start(driver: str, timeout: float) -> Dockerd:
    # Short: the socket path must fit sockaddr_un (108 bytes), and containerd
    # puts longer paths under the exec root.
    root = Path(tempfile.mkdtemp(prefix="rgd", dir="/tmp"))
    (root / "daemon.json").write_text("{}")
    socket = root / "d.sock"
    with open(root / "dockerd.log", "wb") as log:
        process = subprocess.Popen(
            ["dockerd", f"--config-file={root / 'daemon.json'}", f"--storage-driver={driver}",
             "--iptables=false", "--ip6tables=false", "--bridge=none",
             f"--data-root={root / 'data'}", f"--exec-root={root / 'x'}", f"--pidfile={root / 'd.pid'}",
             f"--host=unix://{socket}"],
            stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
        )
    started = time.monotonic()
    daemon = Dockerd(root, process, None, driver, 0.0)
    try:
        while time.monotonic() - started < timeout and process.poll() is None:
            if socket.exists():
                try:
                    # The client asks the daemon its API version when created.
                    client = docker.DockerClient(base_url=f"unix://{socket}", timeout=120)
                    if client.ping() and client.info().get("Driver") == driver:
                        daemon.client, daemon.started_in = client, time.monotonic() - started
                        return daemon
                    client.close()
                except (docker.errors.DockerException, OSError, json.JSONDecodeError):
                    pass
            time.sleep(0.2)
        tail = (root / "dockerd.log").read_text(errors="replace")[-1500:]
        raise DaemonFailed(f"dockerd did not come up within {timeout} s: {tail}")
    except BaseException:
        daemon.stop()
        raise


def _unmount_under(root: Path) -> None:
    """Mounts dockerd left under `root` (a killed daemon leaves overlay and
    shm mounts), deepest first."""
    prefix = str(root.resolve()) + "/"
    with open("/proc/self/mountinfo") as handle:
        points = [line.split()[4] for line in handle]
    for point in sorted((p for p in points if p.startswith(prefix)), key=len, reverse=True):
        subprocess.run(["umount", "-l", point], check=False, capture_output=True)
