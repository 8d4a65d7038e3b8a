"""The whole road with real components: sign → publish to Debian's docker-registry →
three stock `opa run --server` configured by `regate opa-config` pull, verify and
serve it → a new revision reaches all of them within the polling interval → a
tampered and an unsigned bundle are refused by OPA itself, which keeps serving the
old revision → `regate check --opa-url` evaluates on a fleet member and refuses a
revision other than the one its --policy compiles to."""

from __future__ import annotations

import json
import shutil
import time
from contextlib import ExitStack
from pathlib import Path

import requests

from engine.gatehelpers import NOW, opa_server, regate
from engine.gatehelpers import isolated_cache  # noqa: F401  (autouse: a compile cache per test process)
from fleet.fleethelpers import INPUTS, PRODUCTION, make_key, members, write_tarball
from regate.signing import SIGNATURES

SERVERS = 3
MAX_DELAY = 2
# Time a loaded 2-core CI machine may add to the polling delay: the download, the activation.
SLACK = 3.0


def _run(*args) -> str:
    result = regate(*args)
    assert result.returncode == 0, result.stderr
    return result.stderr


def _policy_revision(directory: Path, allowed_ports: str, tmp_path: Path, key) -> tuple[Path, str]:
    """A variant of the production example, compiled and signed; its bundle and revision."""
    source = tmp_path / f"policy-{allowed_ports.replace(', ', '-')}"
    shutil.copytree(PRODUCTION, source)
    policy = source / "production.regate"
    policy.write_text(policy.read_text().replace("[80, 443, 8080, 8443]", f"[{allowed_ports}]"))
    bundle = directory / f"{source.name}.tar.gz"
    _run("compile", source, "-o", bundle, "--signing-key", key.private)
    return source, json.loads(members(bundle)[".manifest"])["revision"]


def _status(url: str) -> dict:
    return requests.get(f"{url}/v1/status", timeout=5).json()["result"]["bundles"]["regate"]


def _wait(condition, timeout: float, what: str):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = condition()
        if found:
            return found
        time.sleep(0.1)
    raise AssertionError(f"not within {timeout:g} s: {what}")


def _decisions(url: str) -> list[dict]:
    answers = []
    for path in INPUTS:
        document = dict(json.loads(path.read_text()), now=NOW)
        answer = requests.post(f"{url}/v1/data/regate/decision/main", json={"input": document}, timeout=30).json()
        answers.append(answer["result"])
    return answers


def _publish(bundle: Path, target: str) -> float:
    _run("publish", bundle, target, "--plain-http")
    return time.monotonic()


def _picked_up(urls: list[str], revision: str, published: float) -> list[float]:
    """Seconds after publishing at which each server activated `revision`."""
    latencies = []
    for url in urls:
        _wait(lambda: _status(url).get("active_revision") == revision, MAX_DELAY + SLACK,
              f"{url} activates revision {revision[:12]}")
        latencies.append(time.monotonic() - published)
    return latencies


def _refused(urls: list[str], served: str, published_wall: str, reason: str) -> None:
    """Each server tried the new artifact, reports the activation error and still serves `served`."""
    for url in urls:
        def tried():
            status = _status(url)
            return status.get("last_request", "") > published_wall and reason in status.get("message", "")
        _wait(tried, MAX_DELAY + SLACK, f"{url} reports refusing the bundle ({reason}): {_status(url)}")
        assert _status(url)["active_revision"] == served


def test_signed_bundle_travels_from_registry_to_fleet(opa, registry, tmp_path):
    key = make_key(tmp_path, "RS256")
    out = tmp_path / "bundles"
    out.mkdir()
    first_source, first = _policy_revision(out, "80, 443, 8080, 8443", tmp_path, key)
    second_source, second = _policy_revision(out, "80, 443", tmp_path, key)
    target = registry.oci("policies/regate", "stable")
    _publish(out / f"{first_source.name}.tar.gz", target)

    config = tmp_path / "opa.yaml"
    _run("opa-config", "--service", target, "--plain-http", "--verification-key", key.public,
         "--polling", f"1-{MAX_DELAY}s", "--decision-logs", "console", "--status", "console", "-o", config)

    with ExitStack() as fleet:
        urls = [fleet.enter_context(opa_server(opa, "--config-file", str(config))) for _ in range(SERVERS)]
        assert [_status(url)["active_revision"] for url in urls] == [first] * SERVERS

        # Identical decisions on every member, and the same as `opa eval` on the bundle.
        baseline = _decisions(urls[0])
        assert [_decisions(url) for url in urls[1:]] == [baseline] * (SERVERS - 1)
        local = regate("eval", "--bundle", out / f"{first_source.name}.tar.gz", "--verification-key", key.public,
                       "--format", "json", "--now", NOW, *sum((["--input", p] for p in INPUTS), []))
        assert [r["decision"] for r in json.loads(local.stdout)["results"]] == baseline
        assert [d["final_action"] for d in baseline] == ["GO", "STOP"]

        # A new revision reaches every member within the polling interval.
        latencies = _picked_up(urls, second, _publish(out / f"{second_source.name}.tar.gz", target))
        print(f"new revision active on {SERVERS} servers after {', '.join(f'{s:.2f}' for s in latencies)} s")
        assert [d["final_action"] for d in _decisions(urls[1])] == ["WARN", "STOP"]

        # A tampered bundle (signed, then one byte changed), an unsigned one and one signed with another
        # key: OPA refuses each and keeps serving the second revision.
        third_source, _ = _policy_revision(out, "80", tmp_path, key)
        _policy_revision(out, "443", tmp_path, make_key(tmp_path, "RS256", "intruder"))
        files = members(out / f"{third_source.name}.tar.gz")
        files["regate/policies/production/policy.rego"] += b"\n"
        tampered = write_tarball(tmp_path / "tampered.tar.gz", files)
        unsigned = write_tarball(tmp_path / "unsigned.tar.gz", {k: v for k, v in files.items() if k != SIGNATURES})
        refusals = ((tampered, "digest mismatch"), (unsigned, "bundle missing .signatures.json file"),
                    (out / "policy-443.tar.gz", "failed to verify JWT signature"))
        for bundle, reason in refusals:
            wall = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime())
            _publish(bundle, target)
            _refused(urls, second, wall, reason)
            assert all(_decisions(url) == _decisions(urls[0]) for url in urls)
            assert [d["final_action"] for d in _decisions(urls[2])] == ["WARN", "STOP"]

        # `regate check --opa-url` against a member: the revision it evaluated, and no other.
        inputs = [str(p) for p in INPUTS]
        checked = regate("check", "--opa-url", urls[2], "--policy", second_source, "--format", "json", "--now", NOW, *inputs)
        assert checked.returncode == 1, checked.stderr
        assert json.loads(checked.stdout)["policy"]["revision"] == second
        served = regate("check", "--opa-url", urls[0], "--format", "json", "--now", NOW, *inputs)
        assert json.loads(served.stdout)["policy"]["revision"] == second
        stale = regate("check", "--opa-url", urls[1], "--policy", first_source, "--now", NOW, *inputs)
        assert stale.returncode == 2
        assert f"serves revision {second[:12]}" in stale.stderr and first[:12] in stale.stderr
