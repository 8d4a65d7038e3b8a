"""Imported `dockerfile` rules on an image config alone: they judge the Dockerfile guessed from the
history (as Anchore does), and without a history to guess from they are unavailable, never a pass."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from engine.gatehelpers import ROOT, regate

DEFAULT_BUNDLE = ROOT / "tests" / "fixtures" / "realworld" / "anchore-bundles" / "anchore_engine__conf__bundles__anchore_default_bundle.json"
NGINX_CONFIG = ROOT / "examples" / "anchore-default" / "inputs" / "nginx-1.19.5.config.json"
HEALTHCHECK = "Dockerfile directive 'HEALTHCHECK' not found, matching condition 'not_exists' check"


@pytest.fixture(scope="module")
def imported(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("imported")
    done = regate("import", "anchore", str(DEFAULT_BUNDLE), "-o", str(out))
    assert done.returncode == 0, done.stderr
    return out


def _decision(policy: Path, config: Path) -> dict:
    done = regate("check", "--policy", str(policy), str(config), "--format", "json")
    assert done.returncode in (0, 1), done.stderr
    (result,) = json.loads(done.stdout)["results"]
    return result["decision"]


def _healthcheck_rule(decision: dict) -> list[str]:
    return [f["rule"] for f in decision["findings"] if f["message"] == HEALTHCHECK]


def test_a_config_with_history_fires_on_the_guessed_dockerfile(imported):
    decision = _decision(imported, NGINX_CONFIG)
    assert _healthcheck_rule(decision) == ["dockerfile_instruction"]
    assert "dockerfile" not in decision["coverage"]["image_config"].get("absent_fields", [])
    assert "dockerfile_instruction" not in [u["rule"] for u in decision["unavailable"]]


def test_without_history_the_dockerfile_rule_is_unavailable_not_a_pass(imported, tmp_path):
    config = json.loads(NGINX_CONFIG.read_text())
    del config["history"]
    (tmp_path / "config.json").write_text(json.dumps(config))
    decision = _decision(imported, tmp_path / "config.json")
    assert _healthcheck_rule(decision) == []
    assert decision["coverage"]["image_config"]["absent_fields"] == ["dockerfile"]
    unavailable = {u["rule"]: u["missing"] for u in decision["unavailable"]}
    assert unavailable["dockerfile_instruction"] == ["image_config.dockerfile"]
    text = regate("check", "--policy", str(imported), str(tmp_path / "config.json"))
    assert "DefaultPolicy/dockerfile_instruction" in text.stdout and "data unavailable: image_config.dockerfile" in text.stdout
