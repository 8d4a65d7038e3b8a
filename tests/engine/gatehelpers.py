"""Running `regate check`/`eval`/`push` as a user does, and the real OPA server
pieces the engine, report and end-to-end tests share."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import uuid
from contextlib import contextmanager
from pathlib import Path

import pytest
import requests

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples"
NOW = "2026-06-01T00:00:00Z"


def regate(*args: str, cwd: Path | None = None, env: dict | None = None, timeout: float = 600) -> subprocess.CompletedProcess:
    """`python -m regate ARGS`; a user mistake must never show a traceback."""
    result = subprocess.run([sys.executable, "-m", "regate", *map(str, args)], capture_output=True, text=True,
                            cwd=cwd, env=env, timeout=timeout, stdin=subprocess.DEVNULL)
    assert "Traceback" not in result.stderr, result.stderr
    return result


def report(result: subprocess.CompletedProcess) -> dict:
    """The JSON report a `--format json` run printed."""
    assert result.stdout, result.stderr
    return json.loads(result.stdout)


def decisions(result: subprocess.CompletedProcess) -> list[dict]:
    return [r["decision"] for r in report(result)["results"]]


def write_policy(directory: Path, text: str, name: str = "policy.regate") -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    (directory / name).write_text(text, encoding="utf-8")
    return directory


def write_json(path: Path, value) -> Path:
    path.write_text(json.dumps(value), encoding="utf-8")
    return path


def example_policies() -> list[Path]:
    """Every example that has policy sources."""
    return sorted(p for p in EXAMPLES.iterdir() if p.is_dir() and any(p.glob("*.regate")))


def pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # A zombie still answers kill(0); it is gone for every purpose here.
    try:
        with open(f"/proc/{pid}/stat") as handle:
            return handle.read().split(") ", 1)[1][0] != "Z"
    except OSError:
        return False


def opa_children(parent: int | None = None) -> set[int]:
    """PIDs of `opa` processes (children of `parent` when given)."""
    found = set()
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            cmdline = (entry / "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        name = stat.split("(", 1)[1].split(")", 1)[0]
        ppid = int(stat.rsplit(") ", 1)[1].split()[1])
        if name == "opa" and b"run" in cmdline and (parent is None or ppid == parent) and pid_alive(int(entry.name)):
            found.add(int(entry.name))
    return found


@contextmanager
def opa_server(opa, *args: str):
    """An `opa run --server` the test starts itself (as users run their own), stopped by PID.
    Its label tells it from a server another test process started on the same port."""
    from support.ports import free_port

    for _ in range(5):
        url = f"http://127.0.0.1:{free_port()}"
        label = uuid.uuid4().hex
        process = subprocess.Popen([opa.path, "run", "--server", "--addr", url.removeprefix("http://"), "--log-level",
                                    "error", "--set", f"labels.test_instance={label}", *args],
                                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, stdin=subprocess.DEVNULL)
        if _ready(url, label, process):
            break
        _stop(process)
    else:
        pytest.fail("opa run --server did not start on a free port")
    try:
        yield url
    finally:
        _stop(process)


def _ready(url: str, label: str, process: subprocess.Popen) -> bool:
    deadline = time.monotonic() + 30
    while process.poll() is None and time.monotonic() < deadline:
        try:
            if requests.get(f"{url}/health", params={"bundles": "true"}, timeout=2).status_code == 200:
                config = requests.get(f"{url}/v1/config", timeout=2).json()["result"]
                return config["labels"].get("test_instance") == label
        except requests.exceptions.ConnectionError:
            pass
        time.sleep(0.05)
    return False


def _stop(process: subprocess.Popen) -> None:
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


@pytest.fixture(scope="session", autouse=True)
def isolated_cache(tmp_path_factory):
    """A compile cache per test process: nothing under ~/.cache, nothing shared between workers."""
    previous = os.environ.get("REGATE_CACHE_DIR")
    os.environ["REGATE_CACHE_DIR"] = str(tmp_path_factory.mktemp("regate-cache"))
    yield
    if previous is None:
        os.environ.pop("REGATE_CACHE_DIR", None)
    else:
        os.environ["REGATE_CACHE_DIR"] = previous
