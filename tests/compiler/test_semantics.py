"""What policies mean, checked end to end by the real OPA.

Each YAML file in cases/ holds a policy and cases: a partial input document
(completed by `regate.inputs.complete`) and the expected decision. All cases
of a file are evaluated in one `opa eval` over the compiled bundle.
"""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest
import yaml

from regate.bundle import write_directory
from regate.compile import compile_policies
from regate.inputs import complete

CASES = Path(__file__).parent / "cases"
QUERY = "[d | some doc in input.cases; d := data.regate.decision.main with input as doc]"


def _load(path: Path) -> dict:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def _evaluate(opa, spec: dict, tmp_path: Path) -> list[dict]:
    source = tmp_path / "policy"
    source.mkdir()
    (source / "policy.regate").write_text(spec["policy"], encoding="utf-8")
    for name, content in (spec.get("files") or {}).items():
        (source / name).write_text(content, encoding="utf-8")
    bundle = tmp_path / "bundle"
    write_directory(compile_policies([source], date(2026, 1, 1)), bundle)
    now = spec.get("now", "2026-01-01T00:00:00Z")
    docs = [complete({"now": now, **(case.get("input") or {})}) for case in spec["cases"]]
    (tmp_path / "input.json").write_text(json.dumps({"cases": docs}))
    result = opa.run("eval", "--format", "json", "-b", str(bundle), "-i", str(tmp_path / "input.json"), QUERY)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)["result"][0]["expressions"][0]["value"]


def _check(case: dict, decision: dict) -> None:
    expect = case["expect"]
    assert decision["errors"] == expect.get("errors", []), decision["errors"]
    for field in ("final_action", "final_reason", "mapping"):
        if field in expect:
            assert decision[field] == expect[field], f"{field}: {decision[field]} != {expect[field]}"
    if "findings" in expect:
        wanted = expect["findings"]
        fields = sorted({k for e in wanted for k in e})
        actual = [{k: f.get(k) for k in fields} for f in decision["findings"]]
        assert actual == [{k: e.get(k) for k in fields} for e in wanted]
    if "exceptions" in expect:
        applied = [(f["rule"], f["key"], f["exception"]["id"] if f["exception"] else None) for f in decision["findings"]]
        assert [tuple(e) for e in expect["exceptions"]] == applied
    if "policies" in expect:
        assert {p["id"]: p["action"] for p in decision["policies"]} == expect["policies"]


@pytest.mark.parametrize("path", sorted(CASES.glob("*.yaml")), ids=lambda p: p.stem)
def test_cases(path, opa, tmp_path):
    spec = _load(path)
    decisions = _evaluate(opa, spec, tmp_path)
    failures = []
    for case, decision in zip(spec["cases"], decisions):
        try:
            _check(case, decision)
        except AssertionError as exc:
            failures.append(f"{case['name']}: {exc}\n{json.dumps(decision['findings'], indent=1)[:2000]}")
    assert not failures, "\n\n".join(failures)
