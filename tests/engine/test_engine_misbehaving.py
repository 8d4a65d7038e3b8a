"""Engines that misbehave: an `opa` that answers a decision contradicting
itself, hangs, or answers the wrong shapes; an OPA server that does the same
or trickles its answer. Every one is exit 2 with a message naming what went
wrong, never a verdict and never a traceback. The fakes are the issue's
reproducers (tests/fixtures/engine); the real OPA is the subject elsewhere."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path

import pytest

from engine.gatehelpers import EXAMPLES, regate
from engine.gatehelpers import isolated_cache  # noqa: F401  (autouse: a compile cache per test process)
from regate.engine.server import free_port

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "engine"
PRODUCTION = EXAMPLES / "production" / "production.regate"
VULNERABLE = EXAMPLES / "production" / "inputs" / "vulnerable.json"


def _fake_opa(name: str) -> dict:
    return {**os.environ, "REGATE_OPA": str(FIXTURES / "fakeopa" / name)}


@contextmanager
def fake_server(mode: str, revision: str = ""):
    """fakesrv.py in `mode` on a free loopback port, stopped by PID."""
    for _ in range(5):
        port = free_port()
        process = subprocess.Popen([sys.executable, str(FIXTURES / "fakesrv.py"), str(port), mode, revision],
                                   stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        if _listening(port, process):
            break
        process.wait()
    else:
        pytest.fail("fakesrv.py did not start on a free port")
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        process.kill()
        process.wait()


def _listening(port: int, process: subprocess.Popen) -> bool:
    deadline = time.monotonic() + 20
    while process.poll() is None and time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return True
        except OSError:
            time.sleep(0.05)
    return False


def _failed(result, *expected: str) -> None:
    assert result.returncode == 2, result.stdout + result.stderr
    assert result.stdout == ""
    assert result.stderr.startswith("regate: error: "), result.stderr
    for text in expected:
        assert text in result.stderr, result.stderr


# ------------------------------------------------------ decisions that contradict themselves


def test_opa_answering_go_beside_a_stop_policy_is_an_error():
    result = regate("check", "--policy", PRODUCTION, VULNERABLE, env=_fake_opa("go_with_stop"))
    _failed(result, "opa eval: the decision contradicts itself: "
                    "final_action is GO, but the worst action of the evaluated policies is STOP")


@pytest.mark.parametrize("mode, expected", [
    ("go_with_stop_finding", "findings[0] (p/r k) belongs to policy 'p', which is not evaluated"),
    ("go_policy_stop", "final_action is GO, but the worst action of the evaluated policies is STOP"),
])
def test_a_server_answering_go_beside_a_stop_is_an_error(mode, expected):
    with fake_server(mode) as url:
        result = regate("check", "--opa-url", url, VULNERABLE)
    _failed(result, f"the OPA server at {url}: the decision contradicts itself: ", expected)
