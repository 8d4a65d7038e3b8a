"""`regate check --explain` end to end on the examples and real scanner files
(tests/explain/cases.yaml): the plan, and a proof that holds up when checked
again from outside — the patch applied with jsonpatch to the document regate
builds from the same inputs, then a plain `regate check` of the result."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
import yaml

from engine.gatehelpers import ROOT, example_policies
from engine.gatehelpers import isolated_cache  # noqa: F401  (autouse: a compile cache per test process)
from explain.support import blocking_ids, dumps, explain, recheck_patched

HERE = Path(__file__).resolve().parent
CASES = yaml.safe_load((HERE / "cases.yaml").read_text(encoding="utf-8"))
GOLDEN = HERE / "golden"


@pytest.mark.parametrize("case", CASES, ids=[c["name"] for c in CASES])
def test_plan_and_its_proof(case, tmp_path):
    policy, inputs, fail_on = ROOT / case["policy"], tuple(ROOT / i for i in case["inputs"]), case.get("fail_on", "stop")
    run, _ = explain(policy, *inputs, fail_on=fail_on)
    [result] = run["results"]
    explanation = result["explanation"]
    plan = [change["summary"] for change in explanation["plan"]]
    if "golden" in case:
        _golden(case["golden"], plan)
    else:
        assert plan == case["plan"]
    if "layers" in case:
        assert [[g["index"], g["base"], g["created_by"]] for g in explanation["layers"]] == case["layers"]
        assert explanation["rebuild_base"]["summary"] == case["rebuild_base"]
    proof = explanation["proof"]
    assert proof["final_action"] == case["proof"]
    assert proof["go"] == (not proof["remaining"] and case["proof"] in ("GO", "WARN") and
                           not (fail_on == "warn" and case["proof"] == "WARN"))
    for remaining in proof["remaining"]:
        assert case.get("remaining", {}).get(remaining["rule"], "\0") in remaining["reason"], remaining
    # The proof, again from outside: the patched document gives the same verdict and leaves the same findings.
    again = recheck_patched(tmp_path, policy, inputs, explanation, fail_on)
    assert again["final_action"] == proof["final_action"]
    assert blocking_ids(again, fail_on) == sorted(f"{r['policy']}/{r['rule']}:{r['key']}" for r in proof["remaining"])
    # Every change is aimed at findings of the original decision, and every such finding is accounted for.
    blocked = set(blocking_ids(result["decision"], fail_on))
    assert all(set(change["clears"]) <= blocked and change["clears"] for change in explanation["plan"])
    assert {f["id"] for f in explanation["findings"]} == blocked


def _golden(name: str, plan: list[str]) -> None:
    path = GOLDEN / name
    if os.environ.get("REGATE_UPDATE_GOLDEN"):
        path.parent.mkdir(exist_ok=True)
        path.write_text(dumps(plan) + "\n", encoding="utf-8")
    assert plan == json.loads(path.read_text(encoding="utf-8")), f"regenerate with REGATE_UPDATE_GOLDEN=1 and review {path}"


def _failing_example_inputs():
    for policy in example_policies():
        for path in sorted((policy / "inputs").glob("*.json")):
            yield pytest.param(policy, path, id=f"{policy.name}/{path.name}")


@pytest.mark.parametrize(("policy", "path"), list(_failing_example_inputs()))
def test_every_example_that_stops_gets_go_or_named_reasons(policy, path, tmp_path):
    run, result = explain(policy, path)
    [only] = run["results"]
    if only["final_action"] != "STOP":
        assert result.returncode == 0
        return
    explanation = only["explanation"]
    assert explanation["proof"]["go"] or all(r["reason"] for r in explanation["proof"]["remaining"])
    again = recheck_patched(tmp_path, policy, (path,), explanation)
    assert again["final_action"] == explanation["proof"]["final_action"]


def test_output_is_byte_identical_across_runs():
    first = explain(ROOT / "examples/production", ROOT / "examples/production/inputs/vulnerable.json",
                    fail_on="warn")[1].stdout
    second = explain(ROOT / "examples/production", ROOT / "examples/production/inputs/vulnerable.json",
                     fail_on="warn")[1].stdout
    strip = lambda text: {k: v for k, v in json.loads(text).items() if k not in ("timings_ms", "policy")} | {
        "results": [{k: v for k, v in r.items() if k != "timings_ms"} for r in json.loads(text)["results"]]}
    assert strip(first) == strip(second)
    assert json.dumps(json.loads(first)["results"][0]["explanation"]) == \
        json.dumps(json.loads(second)["results"][0]["explanation"])


def test_managed_server_gives_the_same_plan_and_proof():
    from engine.gatehelpers import NOW, regate, report

    args = ("check", "--explain", "--fail-on", "warn", "--policy", ROOT / "examples/production", "--format", "json",
            "--now", NOW, ROOT / "examples/production/inputs/vulnerable.json")
    cli, server = regate(*args), regate(*args, "--engine", "server")
    assert cli.returncode == server.returncode == 1, server.stderr
    assert report(server)["engine"]["managed"] is True
    assert report(server)["results"][0]["explanation"] == report(cli)["results"][0]["explanation"]
