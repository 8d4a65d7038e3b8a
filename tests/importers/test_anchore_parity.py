"""Anchore Engine's gate tests, ported as data and run through `regate import anchore`, the
compiler and the real OPA.

Each YAML file in anchore_parity/ ports one gate's tests (its header names the source file):
a case is an Anchore rule (trigger and params), an input document describing the image the
Anchore test analysed, and the findings Anchore fires — their messages, or their number where
`differs` says why regate's message is not Anchore's. A case whose rule regate cannot import
names the reason (`untranslatable`); a case regate cannot reproduce says why (`cannot`) and is
counted, not checked (`summary()` gives the numbers per gate). All cases of a file are imported as one bundle (one policy,
whitelist and mapping per case, each mapped to its own image) and evaluated in one `opa eval`.
"""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest
import yaml

from regate.bundle import write_directory
from regate.compile import compile_policies
from regate.importers.anchore import import_anchore
from regate.inputs import complete, merge

CASES = Path(__file__).parent / "anchore_parity"
QUERY = "[d | some doc in input.cases; d := data.regate.decision.main with input as doc]"


def _bundle(spec: dict) -> dict:
    bundle = {"id": "parity", "name": "parity", "version": "1_0", "policies": [], "whitelists": [], "mappings": [],
              "whitelisted_images": [], "blacklisted_images": []}
    for n, case in enumerate(spec["cases"]):
        rule = {"id": f"case-{n}", "gate": case.get("gate", spec["gate"]), "trigger": case["trigger"],
                "action": "STOP", "params": [{"name": k, "value": v} for k, v in (case.get("params") or {}).items()]}
        bundle["policies"].append({"id": f"p{n}", "name": f"case {n}", "version": "1_0", "rules": [rule]})
        items = [{"id": f"w{n}-{i}", "gate": case.get("gate", spec["gate"]), **item}
                 for i, item in enumerate(case.get("whitelist") or [])]
        bundle["whitelists"].append({"id": f"w{n}", "name": f"case {n}", "version": "1_0", "items": items})
        bundle["mappings"].append({"id": f"m{n}", "name": f"case {n}", "registry": "registry.test",
                                   "repository": f"case{n}", "image": {"type": "tag", "value": "1"},
                                   "policy_id": f"p{n}", "whitelist_ids": [f"w{n}"]})
    return bundle


def _document(spec: dict, n: int, case: dict) -> dict:
    given = case.get("input")
    partial = (spec.get("documents") or {})[given] if isinstance(given, str) else (given or {})
    identity = {"image": {"reference": f"registry.test/case{n}:1", "registry": "registry.test",
                          "repository": f"case{n}", "tag": "1"}}
    return complete({"now": case.get("now", spec.get("now", "2026-01-01T00:00:00Z")), **merge(partial, identity)})


def _run(path: Path, opa, tmp_path: Path):
    spec = yaml.safe_load(path.read_text(encoding="utf-8"))
    (tmp_path / "bundle.json").write_text(json.dumps(_bundle(spec)), encoding="utf-8")
    imported = import_anchore([tmp_path / "bundle.json"], allow_partial=True)
    source = tmp_path / "policy"
    source.mkdir()
    (source / imported.filename).write_text(imported.text, encoding="utf-8")
    compiled = compile_policies([source], date(2026, 1, 1))
    write_directory(compiled, tmp_path / "out")
    docs = [_document(spec, n, case) for n, case in enumerate(spec["cases"])]
    (tmp_path / "input.json").write_text(json.dumps({"cases": docs}), encoding="utf-8")
    result = opa.run("eval", "--format", "json", "-b", str(tmp_path / "out"), "-i", str(tmp_path / "input.json"), QUERY)
    assert result.returncode == 0, result.stderr
    decisions = json.loads(result.stdout)["result"][0]["expressions"][0]["value"]
    refused = {d.message.split(" ")[1]: d.message for d in imported.warnings if d.code == "I101"}
    return spec, decisions, refused, compiled


def _check(n: int, case: dict, decision: dict, refused: dict) -> None:
    if "cannot" in case:  # documented divergence: Anchore's expectation kept, regate's own count asserted
        assert f"case-{n}" not in refused, refused.get(f"case-{n}")
        assert len(decision["findings"]) == case["regate_count"], [f["message"] for f in decision["findings"]]
        return
    if "untranslatable" in case:
        assert f"case-{n}" in refused, "expected the rule to be refused"
        assert case["untranslatable"] in refused[f"case-{n}"], refused[f"case-{n}"]
        return
    assert f"case-{n}" not in refused, refused.get(f"case-{n}")
    assert decision["errors"] == [], decision["errors"]
    messages = [f["message"] for f in decision["findings"]]
    if "differs" in case:
        assert len(messages) == case["count"], messages
    else:
        assert sorted(messages) == sorted(case["fires"]), messages
    if "allowlisted" in case:
        assert sum(1 for f in decision["findings"] if f["exception"]) == case["allowlisted"], decision["findings"]


def _files():
    return sorted(CASES.glob("*.yaml"))


def summary() -> dict[str, tuple[int, int, int, int, int]]:
    """Per gate: cases, exact, count only (`differs`), refused (`untranslatable`), `cannot`."""
    out = {}
    for path in _files():
        spec = yaml.safe_load(path.read_text(encoding="utf-8"))
        kinds = [next((k for k in ("differs", "untranslatable", "cannot") if k in c), "exact") for c in spec["cases"]]
        out[spec["gate"]] = (len(kinds), *(kinds.count(k) for k in ("exact", "differs", "untranslatable", "cannot")))
    return out


def test_the_numbers_in_docs_are_the_cases():
    """docs/anchore.md reports the numbers per gate; they are these files' numbers."""
    docs = (Path(__file__).parents[2] / "docs" / "anchore.md").read_text(encoding="utf-8")
    for gate, numbers in summary().items():
        assert f"| {gate} | {' | '.join(map(str, numbers))} |" in docs, gate
    totals = [sum(column) for column in zip(*summary().values())]
    assert f"| all | {' | '.join(map(str, totals))} |" in docs


@pytest.mark.parametrize("path", _files(), ids=lambda p: p.stem)
def test_anchore_gate_parity(path, opa, tmp_path):
    spec, decisions, refused, _ = _run(path, opa, tmp_path)
    failures = []
    for n, (case, decision) in enumerate(zip(spec["cases"], decisions)):
        try:
            _check(n, case, decision, refused)
        except AssertionError as exc:
            failures.append(f"case {n} {case['name']}: {exc}")
    assert not failures, "\n".join(failures)


@pytest.mark.parametrize("path", _files(), ids=lambda p: p.stem)
def test_every_imported_rule_names_its_origin(path, opa, tmp_path):
    spec, _, refused, compiled = _run(path, opa, tmp_path)
    config = json.loads(compiled.files["data.json"])["regate"]["config"]
    origins = sorted(rule["origin"] for policy in config["policies"].values() for rule in policy["rules"].values())
    imported = [n for n in range(len(spec["cases"])) if f"case-{n}" not in refused]
    # Old and Enterprise names come back as the engine's (anchore:passwd_file:blacklist_usernames:...).
    assert sorted(o.rsplit(":", 1)[1] for o in origins) == sorted(f"case-{n}" for n in imported)
    for origin in origins:
        _, gate, trigger, rule_id = origin.split(":", 3)
        case = spec["cases"][int(rule_id.removeprefix("case-"))]
        assert gate in (case.get("gate", spec["gate"]), case.get("engine_gate")), origin
        assert trigger in (case["trigger"], case.get("engine_trigger")), origin
