"""`opa eval` started on a prepared document's text before regate reads it (regate.engine.ahead).

Its result must be used only when OPA was given exactly what regate evaluates; anything else is
evaluated the usual way. To tell which evaluation a decision came from, the early run evaluates
the production policy (STOP for the vulnerable example) and the engine a policy that passes it.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from engine.gatehelpers import EXAMPLES, regate, report, write_policy
from engine.gatehelpers import isolated_cache  # noqa: F401  (autouse: a compile cache per test process)
from regate.bundle import write_bundle
from regate.compile import compile_policies
from regate.engine.ahead import Ahead
from regate.engine.cli import CliEngine
from regate.errors import EngineError
from regate.extract.conceal import conceal
from regate.extract.jsonload import read_file_bytes
from regate.opa import find_opa

PRODUCTION = EXAMPLES / "production"
VULNERABLE = PRODUCTION / "inputs" / "vulnerable.json"
EARLY, USUAL = "STOP", "GO"
SECRET = "AKIAQWERTYUIOPASDFGH"


@pytest.fixture(scope="module")
def passing(tmp_path_factory) -> Path:
    """A bundle whose only rule fires on no image."""
    policy = write_policy(tmp_path_factory.mktemp("passing"), 'policy "p" {\n  rule r stop {\n'
                          '    when image.user == "no such user"\n    message "m"\n  }\n}\n')
    path = policy / "bundle.tar.gz"
    write_bundle(compile_policies([policy]), path)
    return path


def _decided_by(early_bundle: Path, passing: Path, path: Path, change=None, timeout: float = 60) -> str:
    """The final action of `path` evaluated by a CLI engine on `passing` given an early run on `early_bundle`."""
    opa = find_opa()
    ahead = Ahead(opa, early_bundle, path, read_file_bytes(path), timeout)
    document = ahead.read(path)
    if change is not None:
        change(document)
    with CliEngine(passing, opa, timeout, ahead) as engine:
        return engine.evaluate(document)["final_action"]


def _with_vulnerability_fields(tmp_path: Path, members: str) -> Path:
    """The vulnerable example with `members` (JSON text) added to its first vulnerability."""
    document = json.loads(VULNERABLE.read_text())
    next(iter(document["vulnerabilities"].values()))["@"] = 0
    path = tmp_path / "input.json"
    path.write_text(json.dumps(document).replace('"@": 0', members))
    json.loads(path.read_text())  # still JSON
    return path


def test_the_early_result_is_the_decision_of_a_document_evaluated_as_read(bundle, passing):
    assert _decided_by(bundle, passing, VULNERABLE) == EARLY


def test_a_document_regate_changes_after_reading_it_is_evaluated_again(bundle, passing):
    assert _decided_by(bundle, passing, VULNERABLE, change=lambda d: d.update(now="2026-06-01T00:00:00Z")) == USUAL


def test_a_document_holding_a_secret_is_evaluated_concealed(bundle, passing, tmp_path):
    document = json.loads(VULNERABLE.read_text())
    document["image"]["env"]["AWS_ACCESS_KEY_ID"] = {"name": "AWS_ACCESS_KEY_ID", "value": SECRET}
    path = tmp_path / "input.json"
    path.write_text(json.dumps(document))
    assert _decided_by(bundle, passing, path, change=conceal) == USUAL


@pytest.mark.parametrize("members, decided_by", [
    ('"risk": 0.5, "epss": {"score": 0.25}', EARLY),  # written as orjson writes them
    ('"risk": 7', EARLY),
    ('"risk": 0.50', USUAL),  # OPA keeps a number's text: 0.50 could show as such in a message
    ('"risk": 5e-1', USUAL),
    ('"risk": 5E2', USUAL),
    ('"risk": -0', USUAL),
    ('"risk": -0.0', EARLY),
    # Number-like text in strings is no number, with or without escaped quotes around it.
    ('"description": "scored: 1.50, [-0, 5e-1]"', EARLY),
    ('"description": "say \\"x\\": 1.50"', EARLY),
    ('"description": "one \\" quote: 1.50"', EARLY),
    ('"description": "say \\"x\\"", "risk": 1.50', USUAL),
])
def test_numbers_written_otherwise_than_regate_writes_them_are_evaluated_again(bundle, passing, tmp_path,
                                                                               members, decided_by):
    assert _decided_by(bundle, passing, _with_vulnerability_fields(tmp_path, members)) == decided_by


def test_a_failed_early_run_is_evaluated_again(passing, tmp_path):
    broken = tmp_path / "broken.tar.gz"
    broken.write_bytes(b"not a bundle")
    assert _decided_by(broken, passing, VULNERABLE) == USUAL


def test_an_early_run_past_the_timeout_is_an_engine_error(bundle, passing):
    with pytest.raises(EngineError, match=r"opa eval did not finish within 0\.001 s \(--timeout\)"):
        _decided_by(bundle, passing, VULNERABLE, timeout=0.001)


# ---------------------------------------------------------------- as `regate check` runs it


def _check(env: dict, *targets: Path):
    return regate("check", "--policy", PRODUCTION, "--format", "json", *targets, env=env)


def test_check_of_one_prepared_document_starts_opa_before_reading_it(opa_log):
    env, log = opa_log
    twice = _check(env, VULNERABLE, VULNERABLE)  # two documents: evaluated the usual way (and compiled)
    once = _check(env, VULNERABLE)
    assert log.read_text().split() == ["serialised", "serialised", "file"]
    assert once.returncode == twice.returncode == 1
    assert report(once)["results"][0]["decision"] == report(twice)["results"][0]["decision"]


def test_check_of_a_document_holding_a_secret_evaluates_it_concealed(opa_log, tmp_path):
    env, log = opa_log
    document = json.loads(VULNERABLE.read_text())
    document["image"]["env"]["AWS_ACCESS_KEY_ID"] = {"name": "AWS_ACCESS_KEY_ID", "value": SECRET}
    path = tmp_path / "input.json"
    path.write_text(json.dumps(document))
    twice = _check(env, path, path)
    once = _check(env, path)
    assert log.read_text().split() == ["serialised", "serialised", "file", "serialised"]  # the early run discarded
    assert SECRET not in once.stdout + once.stderr
    assert report(once)["results"][0]["decision"] == report(twice)["results"][0]["decision"]
    assert report(once)["results"][0]["input"]["image"]["env"] == report(twice)["results"][0]["input"]["image"]["env"]


def _mistyped_version(data: bytes) -> bytes:
    document = json.loads(data)
    document["packages"][next(iter(document["packages"]))]["version"] = 7
    return json.dumps(document).encode()


@pytest.mark.parametrize("spoil, error", [
    (_mistyped_version, "is not a valid regate input document: expected string, found"),
    (lambda data: data.replace(b'"schema_version"', b'"schema_version\xff"', 1), "is not UTF-8 text (invalid byte at offset"),
], ids=["invalid document", "not UTF-8"])
def test_check_of_a_bad_document_is_refused_as_before(opa_log, tmp_path, spoil, error):
    env, _ = opa_log
    path = tmp_path / "input.json"
    path.write_bytes(spoil(VULNERABLE.read_bytes()))
    _check(env, VULNERABLE, VULNERABLE)  # compiles
    refused = _check(env, path)
    assert refused.returncode == 2 and refused.stdout == ""
    assert refused.stderr == _check(env, path, path).stderr
    assert error in refused.stderr


def test_check_of_a_document_with_a_byte_order_mark_uses_the_early_run(opa_log, tmp_path):
    env, log = opa_log
    path = tmp_path / "input.json"
    path.write_bytes(b"\xef\xbb\xbf" + VULNERABLE.read_bytes())
    twice = _check(env, VULNERABLE, VULNERABLE)
    once = _check(env, path)
    assert log.read_text().split() == ["serialised", "serialised", "file"]  # OPA skips the mark as regate does
    assert once.returncode == twice.returncode == 1
    assert report(once)["results"][0]["decision"] == report(twice)["results"][0]["decision"]


def test_eval_of_one_prepared_document_starts_opa_before_reading_it(opa_log, bundle):
    env, log = opa_log
    twice = regate("eval", "--bundle", bundle, "--input", VULNERABLE, "--input", VULNERABLE, "--format", "json",
                   env=env)
    once = regate("eval", "--bundle", bundle, "--input", VULNERABLE, "--format", "json", env=env)
    assert log.read_text().split() == ["serialised", "serialised", "file"]
    assert once.returncode == twice.returncode == 1
    assert report(once)["results"][0]["decision"] == report(twice)["results"][0]["decision"]


@pytest.mark.parametrize("environment, seen", [
    ({}, "400"),  # collected a quarter as often (opa.go_environment)
    ({"GOGC": "150"}, "150"),  # the user's setting stands
    ({"GOMEMLIMIT": "2GiB"}, ""),  # a memory limit with Go's own GOGC, as the user asked
])
def test_opa_eval_runs_with_a_one_shot_gogc_unless_the_user_set_one(tmp_path, environment, seen):
    log = tmp_path / "gogc.log"
    wrapper = tmp_path / "opa"
    wrapper.write_text(f'#!/bin/sh\n[ "$1" = eval ] && echo "GOGC=$GOGC" >> {log}\nexec {find_opa().path} "$@"\n')
    wrapper.chmod(0o755)
    env = {k: v for k, v in os.environ.items() if k not in ("GOGC", "GOMEMLIMIT")}
    env.update(environment, REGATE_OPA=str(wrapper))
    _check(env, VULNERABLE, VULNERABLE)  # the usual evaluation, one per document
    _check(env, VULNERABLE)  # the early one
    assert log.read_text().split() == [f"GOGC={seen}"] * 3
