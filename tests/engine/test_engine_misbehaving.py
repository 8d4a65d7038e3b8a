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

from engine.gatehelpers import EXAMPLES, pid_alive, regate
from engine.gatehelpers import isolated_cache  # noqa: F401  (autouse: a compile cache per test process)
from support.ports import free_port
from regate.engine.managed import ManagedOpa
from regate.errors import EngineError
from regate.opa import Opa

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "engine"
PRODUCTION = EXAMPLES / "production" / "production.regate"
VULNERABLE = EXAMPLES / "production" / "inputs" / "vulnerable.json"


def _fake_opa(name: str) -> dict:
    return {**os.environ, "REGATE_OPA": str(FIXTURES / "fakeopa" / name)}


def _script(path: Path, body: str) -> Path:
    """A fake `opa` that answers `opa version` like OPA and runs `body` for anything else."""
    path.write_text(f'#!/bin/sh\nif [ "$1" = version ]; then echo "Version: 1.22.3"; exit 0; fi\n{body}\n')
    path.chmod(0o755)
    return path


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


# ------------------------------------------------------ answers of the wrong shape


@pytest.mark.parametrize("mode, expected", [
    ("bundles_list", ": data.system.bundles is an array, expected an object"),
    ("bundles_manifest_str", ": data.system.bundles['b'].manifest is a string, expected an object"),
    ("bundles_body_list", " answered an array where a JSON object was expected while reading data.system.bundles"),
    ("query_list", ": the answer to `opa.runtime().version`, its first row is a number, expected an object"),
    ("toplist", " answered an array where a JSON object was expected while evaluating data.regate.decision.main"),
    ("html", " answered something that is not JSON where a JSON object was expected while evaluating"),
    ("badjson", " answered something that is not JSON while evaluating data.regate.decision.main"),
    ("list", ": not a regate decision: the decision is an array, not an object"),
])
def test_a_server_answering_the_wrong_shape_is_an_error(mode, expected, revision):
    with fake_server(mode, revision) as url:
        result = regate("check", "--opa-url", url, "--policy", PRODUCTION, VULNERABLE)
    _failed(result, f"the OPA server at {url}{expected}")


def test_a_policy_list_of_the_wrong_shape_stops_a_push():
    # A list of policies that is not a list of objects is reported by its shape, never as a traceback.
    with fake_server("policies_str") as url:
        result = regate("push", "--opa-url", url, "--policy", PRODUCTION)
    _failed(result, f"the OPA server at {url} answered a document of an unexpected shape while listing its policies")


@pytest.fixture(scope="module")
def revision(tmp_path_factory) -> str:
    """The revision PRODUCTION compiles to, which fakesrv.py reports as its bundle's."""
    from regate.bundle import write_directory
    from regate.compile import compile_policies
    from regate.engine.policy import PolicyInfo, read_bundle

    bundle = tmp_path_factory.mktemp("bundle") / "production"
    write_directory(compile_policies([PRODUCTION]), bundle)
    return PolicyInfo.from_files(read_bundle(bundle)).revision


@pytest.mark.parametrize("printed, expected", [
    ("[1]", "the output is an array, expected an object"),
    ('{"result": "x"}', "`result` is a string, expected an array"),
    ('{"result": [1]}', "result[0] is a number, expected an object"),
    ('{"result": [{"expressions": {}}]}', "result[0].expressions is an object, expected an array"),
    ('{"result": [{"expressions": []}]}', "result[0].expressions[0] is null, expected an object"),
    ('{"result": [{"expressions": [{}]}]}', "result[0].expressions[0] has no `value`"),
])
def test_opa_eval_printing_the_wrong_shape_is_an_error(printed, expected, tmp_path):
    opa = _script(tmp_path / "opa", f"echo '{printed}'")
    result = regate("check", "--policy", PRODUCTION, VULNERABLE, env={**os.environ, "REGATE_OPA": str(opa)})
    _failed(result, f"opa eval printed JSON of an unexpected shape: {expected}")


def test_opa_eval_failing_with_odd_errors_is_an_error(tmp_path):
    opa = _script(tmp_path / "opa", """echo '{"errors": 5}'; exit 1""")
    result = regate("check", "--policy", PRODUCTION, VULNERABLE, env={**os.environ, "REGATE_OPA": str(opa)})
    _failed(result, 'opa eval failed (exit status 1): {"errors": 5}')


# ------------------------------------------------------ time limits


def test_a_server_trickling_its_answer_is_stopped_at_the_timeout():
    # fakesrv's trickle mode sends one byte every 0.5 s: about 100 s for its answer.
    with fake_server("trickle") as url:
        started = time.monotonic()
        result = regate("check", "--opa-url", url, "--timeout", "3", VULNERABLE)
        elapsed = time.monotonic() - started
    _failed(result, f"the OPA server at {url} did not answer within 3 s while evaluating data.regate.decision.main")
    # Python's start-up and the requests before the evaluation (version, policy) come on top of the 3 s.
    assert elapsed < 15, elapsed


def test_an_opa_that_hangs_on_its_version_is_an_error():
    started = time.monotonic()
    result = regate("check", "--policy", PRODUCTION, VULNERABLE, env=_fake_opa("sleep_version"))
    _failed(result, "sleep_version did not answer `opa version` within 10 s")
    assert time.monotonic() - started < 30


def _gone(pid: int, within: float = 10) -> bool:
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        if not pid_alive(pid):
            return True
        time.sleep(0.05)
    return False


def test_a_timeout_kills_what_opa_eval_started(tmp_path):
    # A child of `opa` keeps the output pipes open: killing `opa` alone would leave it running.
    opa = _script(tmp_path / "opa", f"sleep 60 & echo $! > {tmp_path}/child; wait")
    result = regate("check", "--policy", PRODUCTION, "--timeout", "1", VULNERABLE,
                    env={**os.environ, "REGATE_OPA": str(opa)})
    _failed(result, "opa eval did not finish within 1 s (--timeout)")
    assert _gone(int((tmp_path / "child").read_text()))


def test_stopping_a_managed_server_stops_what_it_started(tmp_path):
    opa = _script(tmp_path / "opa", f"sleep 60 & echo $! > {tmp_path}/child; sleep 60")
    manager = ManagedOpa(Opa(str(opa), "1.22.3"), tmp_path / "bundle.tar.gz", ready_timeout=1)
    with pytest.raises(EngineError, match="did not become ready within 1 s"):
        manager.start()
    assert _gone(int((tmp_path / "child").read_text()))
