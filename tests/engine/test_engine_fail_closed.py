"""Fail closed: whatever goes wrong between regate and OPA, the result is exit
2 and no report, never GO. The broken OPAs are scripts that answer `opa
version` like OPA and then fail the way a broken installation does; the
broken bundles are real bundles with the decision removed or replaced."""

from __future__ import annotations

import os
import socket
import threading
import time
from datetime import date
from pathlib import Path

import pytest

from engine.gatehelpers import EXAMPLES, NOW, regate
from engine.gatehelpers import isolated_cache  # noqa: F401  (autouse: a compile cache per test process)
from regate.bundle import write_directory
from regate.compile import compile_policies
from regate.engine.decision import exit_code, validate
from regate.errors import EngineError

PRODUCTION = EXAMPLES / "production"
VULNERABLE = PRODUCTION / "inputs" / "vulnerable.json"
CLEAN = PRODUCTION / "inputs" / "clean.json"

FAKE_OPA = """#!/bin/sh
if [ "$1" = version ]; then echo "Version: 1.22.3"; exit 0; fi
{body}
"""
BROKEN = {
    "exits 1": 'echo "opa: internal error" >&2; exit 1',
    "prints garbage": "echo 'this is not json'",
    "prints an undefined result": "echo '{}'",
    "prints a passing non-decision": """echo '{"result":[{"expressions":[{"value":{"final_action":"GO"}}]}]}'""",
    "prints an unknown action": """echo '{"result":[{"expressions":[{"value":{"version":1,"final_action":"PASS",
      "final_reason":"policy_evaluation","image":{},"image_rule":null,"mapping":null,"policies":[],"findings":[],
      "errors":[]}}]}]}'""",
}


def _fake_opa(tmp_path: Path, body: str) -> dict:
    script = tmp_path / "opa"
    script.write_text(FAKE_OPA.format(body=body))
    script.chmod(0o755)
    return {**os.environ, "REGATE_OPA": str(script)}


def _assert_failed_closed(result, *expected: str) -> None:
    assert result.returncode == 2, result.stdout + result.stderr
    assert result.stdout == ""
    assert "GO" not in result.stderr.replace("GOOD", "")
    for text in expected:
        assert text in result.stderr, result.stderr


@pytest.mark.parametrize("failure", BROKEN, ids=str)
@pytest.mark.parametrize("command", ["check", "eval"])
def test_a_broken_opa_is_an_error(failure, command, tmp_path):
    env = _fake_opa(tmp_path, BROKEN[failure])
    if command == "check":
        result = regate("check", "--policy", PRODUCTION, CLEAN, env=env)
    else:
        bundle = tmp_path / "bundle"
        write_directory(compile_policies([PRODUCTION]), bundle)
        result = regate("eval", "--bundle", bundle, "--input", CLEAN, env=env)
    _assert_failed_closed(result, "regate: error:")


def test_a_timeout_is_an_error_and_kills_opa(tmp_path):
    env = _fake_opa(tmp_path, f"echo $$ > {tmp_path}/pid; sleep 60")
    started = time.monotonic()
    result = regate("check", "--policy", PRODUCTION, "--timeout", "1", CLEAN, env=env)
    _assert_failed_closed(result, "did not finish within 1 s")
    assert time.monotonic() - started < 30
    pid = int((tmp_path / "pid").read_text())
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)


@pytest.fixture(scope="module")
def hanging_server():
    """A TCP server that accepts connections and never answers: an OPA that hangs."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(16)
    accepted = []
    stop = threading.Event()

    def serve():
        listener.settimeout(0.1)
        while not stop.is_set():
            try:
                accepted.append(listener.accept()[0])
            except OSError:
                continue

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{listener.getsockname()[1]}"
    stop.set()
    thread.join()
    for connection in accepted:
        connection.close()
    listener.close()


def test_a_server_that_does_not_answer_is_an_error(hanging_server):
    result = regate("check", "--opa-url", hanging_server, "--timeout", "1", CLEAN)
    _assert_failed_closed(result, "did not answer within 1 s")


def _bundle_with_decision(tmp_path: Path, decision_rego: str | None) -> Path:
    bundle = tmp_path / "bundle"
    write_directory(compile_policies([PRODUCTION], date(2026, 6, 1)), bundle)
    module = bundle / "regate" / "decision" / "decision.rego"
    if decision_rego is None:
        module.unlink()
    else:
        module.write_text(decision_rego)
    return bundle


@pytest.mark.parametrize("engine", ["cli", "server"])
def test_a_bundle_without_the_decision_is_an_error(engine, tmp_path, opa):
    bundle = _bundle_with_decision(tmp_path, None)
    result = regate("eval", "--bundle", bundle, "--input", CLEAN, "--engine", engine)
    _assert_failed_closed(result, "data.regate.decision.main is undefined")


@pytest.mark.parametrize("engine", ["cli", "server"])
def test_a_malformed_decision_is_an_error(engine, tmp_path, opa):
    bundle = _bundle_with_decision(tmp_path, 'package regate.decision\n\nmain := {"final_action": "GO", "findings": []}\n')
    result = regate("eval", "--bundle", bundle, "--input", CLEAN, "--engine", engine)
    _assert_failed_closed(result, "not a regate decision", "has no `version`")


def test_an_evaluation_error_is_an_error(tmp_path, opa):
    # A runtime error in the decision (a conflict between two values of one rule).
    bundle = _bundle_with_decision(tmp_path, 'package regate.decision\n\nmain := 1 if input.now\n\nmain := 2 if input.now\n')
    result = regate("eval", "--bundle", bundle, "--input", CLEAN, "--now", NOW)
    _assert_failed_closed(result, "opa eval failed", "conflict")


def test_an_input_the_decision_rejects_exits_2_and_says_stop():
    # The decision's own check of its input (docs/decision.md, point 1): STOP with errors, exit 2.
    decision = validate({"version": 1, "final_action": "STOP", "final_reason": "invalid_input", "image": {},
                         "image_rule": None, "mapping": None, "policies": [], "findings": [],
                         "errors": ["input.image is missing"]}, "test")
    assert exit_code([decision]) == 2
    assert exit_code([decision], "warn") == 2
    with pytest.raises(EngineError, match="lists errors but is not STOP"):
        validate(dict(decision, final_action="GO"), "test")


_FINDING = {"policy": "p", "rule": "r", "action": "STOP", "effective_action": "STOP", "message": "m",
            "key": "k", "exception": None, "expired_exceptions": [], "source": "p.regate:1:1"}


@pytest.mark.parametrize("change, message", [
    ({"version": True}, "the decision.version is a boolean"),
    ({"version": 1.0}, "the decision.version is a number"),
    ({"mapping": 3}, "the decision.mapping is a number"),
    ({"findings": [dict(_FINDING, key=True)]}, "findings[0].key is a boolean"),
    ({"findings": [_FINDING, {k: v for k, v in _FINDING.items() if k != "source"}]}, "findings[1] has no `source`"),
    ({"findings": [_FINDING, ["not", "an", "object"]]}, "findings[1] is an array, not an object"),
    ({"policies": [{"id": "p", "action": None}]}, "policies[0].action is null"),
])
def test_a_decision_of_another_shape_is_an_engine_error_naming_the_field(change, message):
    decision = {"version": 1, "final_action": "STOP", "final_reason": "policy", "image": {}, "image_rule": None,
                "mapping": "m", "policies": [{"id": "p", "action": "STOP"}], "findings": [_FINDING], "errors": []}
    with pytest.raises(EngineError) as raised:
        validate(dict(decision, **change), "the engine")
    assert str(raised.value) == f"the engine: not a regate decision: {message}"


@pytest.mark.parametrize("document, message", [
    ('{"schema_version": 1, "image": {}}', "is not a valid regate input document"),
    ("[1, 2]", "is not a format regate knows"),
    ("{not json", "invalid JSON"),
])
def test_a_bad_input_document_is_an_error(document, message, tmp_path):
    path = tmp_path / "input.json"
    path.write_text(document)
    result = regate("check", "--policy", PRODUCTION, path)
    _assert_failed_closed(result, message)
