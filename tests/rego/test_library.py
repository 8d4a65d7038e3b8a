"""The Rego runtime library: its own tests pass under `opa test`; it is strict- and fmt-clean."""

from __future__ import annotations

import json
from pathlib import Path

REGO = Path(__file__).resolve().parents[2] / "rego"


def test_opa_test_passes(opa):
    result = opa.run("test", "--format", "json", str(REGO))
    results = json.loads(result.stdout)
    failed = [r["name"] for r in results if r.get("fail") or r.get("error")]
    assert result.returncode == 0 and not failed, failed or result.stderr
    assert len(results) > 30


def test_check_strict(opa):
    result = opa.run("check", "--strict", str(REGO))
    assert result.returncode == 0, result.stdout + result.stderr


def test_fmt_clean(opa):
    result = opa.run("fmt", "--list", str(REGO))
    assert result.returncode == 0 and result.stdout == "", result.stdout


def test_every_public_rule_has_metadata(opa):
    """Each public rule (no leading underscore) carries a # METADATA block on one of its definitions."""
    missing = []
    for path in sorted(REGO.rglob("*.rego")):
        if path.name.endswith("_test.rego"):
            continue
        parsed = json.loads(opa.run("parse", "--format", "json", str(path)).stdout)
        annotated: dict[str, bool] = {}
        for rule in parsed.get("rules", []):
            name = rule["head"]["ref"][0]["value"]
            annotated[name] = annotated.get(name, False) or bool(rule.get("annotations"))
        missing += [f"{path.relative_to(REGO)}: {n}" for n, ok in annotated.items() if not ok and not n.startswith("_")]
    assert not missing, missing
