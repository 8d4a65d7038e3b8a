"""A private OCI registry for tests: Debian's `docker-registry` (Distribution v2)
on a free loopback port, with its storage in a temporary directory, stopped by PID.

Each pytest process starts its own; a port another process took between the
probe and the bind makes the registry exit, and a new port is tried.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import requests

from .components import stop_process

REGISTRY = "/usr/bin/docker-registry"
_ATTEMPTS = 5


class RegistryFailed(RuntimeError):
    pass


@dataclass
class Registry:
    root: Path
    process: subprocess.Popen
    address: str  # 127.0.0.1:PORT

    def oci(self, repository: str, tag: str) -> str:
        return f"oci://{self.address}/{repository}:{tag}"

    def stop(self, timeout: float = 10) -> None:
        stop_process(self.process, timeout)
        shutil.rmtree(self.root, ignore_errors=True)


def start_registry(timeout: float = 30) -> Registry:
    from support.ports import free_port

    root = Path(tempfile.mkdtemp(prefix="regate-registry-"))
    for _ in range(_ATTEMPTS):
        address = f"127.0.0.1:{free_port()}"
        config = root / "config.yml"
        config.write_text(f"version: 0.1\nlog:\n  level: error\nstorage:\n  filesystem:\n    rootdirectory: {root / 'data'}\n"
                          f"  delete:\n    enabled: true\nhttp:\n  addr: {address}\n")
        log = open(root / "registry.log", "wb")
        process = subprocess.Popen([REGISTRY, "serve", str(config)], stdout=log, stderr=subprocess.STDOUT,
                                   stdin=subprocess.DEVNULL)
        log.close()
        if _ready(address, process, timeout):
            return Registry(root, process, address)
        process.kill()
        process.wait()
    tail = (root / "registry.log").read_text(errors="replace")[-800:]
    shutil.rmtree(root, ignore_errors=True)
    raise RegistryFailed(f"docker-registry did not serve on a loopback port: {tail}")


def _ready(address: str, process: subprocess.Popen, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while process.poll() is None and time.monotonic() < deadline:
        try:
            if requests.get(f"http://{address}/v2/", timeout=2).status_code == 200:
                return True
        except requests.exceptions.ConnectionError:
            pass
        time.sleep(0.05)
    return False
