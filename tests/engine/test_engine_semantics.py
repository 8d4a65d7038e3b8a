"""Anchore's policy semantics, point by point, as `regate check` and `regate eval`
report them (policy: tests/engine/policies/anchore/anchore.regate)."""

from __future__ import annotations

from pathlib import Path

import pytest

from engine.gatehelpers import NOW, decisions, regate, report, write_json
from engine.gatehelpers import isolated_cache  # noqa: F401  (autouse: a compile cache per test process)
from regate.inputs import complete, merge

POLICY = Path(__file__).parent / "policies" / "anchore"

CRITICAL = {"severity": "critical"}
CASES = {
    "prod": {"image": {"reference": "registry.example.com/prod/api:1"},
             "vulnerabilities": {"CVE-2000-0001+deb:a@1": CRITICAL, "CVE-2000-0002+deb:b@1": CRITICAL,
                                 "CVE-2000-0003+deb:c@1": CRITICAL}},
    "team": {"image": {"reference": "registry.example.com/team/api:1"},
             "vulnerabilities": {"CVE-2000-0003+deb:c@1": CRITICAL}},
    "team-clean": {"image": {"reference": "registry.example.com/team/api:2"}},
    "dev": {"image": {"reference": "registry.example.com/dev/api:1", "user": "app"},
            "vulnerabilities": {"CVE-2000-0003+deb:c@1": CRITICAL}},
    "unmapped": {"image": {"reference": "docker.io/library/nginx:1.25"},
                 "vulnerabilities": {"CVE-2000-0003+deb:c@1": CRITICAL}},
    "latest": {"image": {"reference": "registry.example.com/prod/api:latest"}},
    "golden": {"image": {"reference": "registry.example.com/golden/base:1"},
               "vulnerabilities": {"CVE-2000-0003+deb:c@1": CRITICAL}},
    "golden-latest": {"image": {"reference": "registry.example.com/golden/base:latest"}},
}


# What every case's image config says unless the case says otherwise: linux, no USER (so root).
CONFIG = {"os": "linux", "user": ""}
CASES = {name: merge({"image": CONFIG}, partial) for name, partial in CASES.items()}


@pytest.fixture(scope="module")
def inputs(tmp_path_factory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("semantics")
    return {name: write_json(root / f"{name}.json", complete(partial)) for name, partial in CASES.items()}


@pytest.fixture(scope="module", params=["cli", "server"])
def decided(request, inputs) -> dict[str, dict]:
    """Every case in one `regate check` run, through each engine."""
    result = regate("check", "--policy", POLICY, "--format", "json", "--now", NOW, "--engine", request.param,
                    *inputs.values())
    assert result.returncode == 1, result.stderr
    return dict(zip(inputs, decisions(result)))


def _findings(decision: dict, policy: str, rule: str) -> dict[str, dict]:
    return {f["key"]: f for f in decision["findings"] if (f["policy"], f["rule"]) == (policy, rule)}


def test_each_finding_carries_its_rules_action(decided):
    prod = decided["prod"]
    assert {f["action"] for f in _findings(prod, "strict", "critical").values()} == {"STOP"}
    assert {f["action"] for f in _findings(prod, "lenient", "critical").values()} == {"WARN"}
    assert [f["action"] for f in _findings(prod, "strict", "root").values()] == ["WARN"]
    assert [f["action"] for f in _findings(prod, "strict", "linux").values()] == ["GO"]


def test_an_exception_turns_a_finding_go_but_keeps_it_marked(decided):
    strict = _findings(decided["prod"], "strict", "critical")
    excepted = strict["CVE-2000-0001+deb:a@1"]
    assert (excepted["action"], excepted["effective_action"]) == ("STOP", "GO")
    assert excepted["exception"] == {"id": "policy:strict/critical#1", "until": "2030-01-01", "reason": "not reachable",
                                     "source": "anchore.regate:28:3"}
    # A policy's exceptions are its own: the other policy's finding for the same CVE stands.
    assert _findings(decided["prod"], "lenient", "critical")["CVE-2000-0001+deb:a@1"]["effective_action"] == "WARN"


def test_an_expired_exception_no_longer_applies_and_is_listed(decided):
    expired = _findings(decided["prod"], "strict", "critical")["CVE-2000-0002+deb:b@1"]
    assert expired["effective_action"] == "STOP"
    assert expired["exception"] is None
    assert expired["expired_exceptions"] == ["policy:strict/critical#2"]


def test_a_policys_action_is_the_worst_of_its_findings(decided):
    assert {p["id"]: p["action"] for p in decided["prod"]["policies"]} == {"strict": "STOP", "lenient": "WARN"}
    assert decided["prod"]["policies"][0]["findings"] == {"stop": 2, "warn": 1, "go": 2}
    # Only excepted or GO findings left: the policy is GO.
    assert [(p["id"], p["action"]) for p in decided["team-clean"]["policies"]] == [("strict", "GO")]
    assert (decided["team-clean"]["final_action"], decided["team-clean"]["final_reason"]) == ("GO", "policy_evaluation")


def test_mappings_first_match_wins_and_selects_allowlists(decided):
    # registry.example.com/prod/* also matches the later "dev" mapping.
    assert decided["prod"]["mapping"] == "prod"
    assert decided["dev"]["mapping"] == "dev"
    assert [p["id"] for p in decided["dev"]["policies"]] == ["lenient"]
    assert decided["dev"]["final_action"] == "WARN"
    # The team mapping's allowlist excepts its root finding; the prod mapping has none.
    assert _findings(decided["team"], "strict", "root")["image"]["exception"]["id"] == "allowlist:team/root#1"
    assert _findings(decided["prod"], "strict", "root")["image"]["exception"] is None


def test_no_mapping_matching_is_go_with_that_reason(decided):
    unmapped = decided["unmapped"]
    assert (unmapped["final_action"], unmapped["final_reason"]) == ("GO", "no_mapping")
    assert unmapped["mapping"] is None and unmapped["findings"] == [] and unmapped["policies"] == []


def test_denylisted_image_is_stop_even_when_allowlisted(decided):
    for name in ("latest", "golden-latest"):
        decision = decided[name]
        assert (decision["final_action"], decision["final_reason"]) == ("STOP", "denylisted")
        assert decision["image_rule"]["pattern"] == "*:latest"
        assert decision["image_rule"]["reason"] == "pin a version"
        assert decision["findings"] == []


def test_allowlisted_image_is_go(decided):
    golden = decided["golden"]
    assert (golden["final_action"], golden["final_reason"]) == ("GO", "allowlisted")
    assert golden["image_rule"]["verdict"] == "allow"


@pytest.mark.parametrize("case, fail_on, code", [
    ("prod", "stop", 1), ("latest", "stop", 1), ("dev", "stop", 0), ("dev", "warn", 1),
    ("unmapped", "stop", 0), ("golden", "stop", 0), ("team-clean", "warn", 0),
])
def test_exit_codes(inputs, case, fail_on, code):
    result = regate("check", "--policy", POLICY, "--now", NOW, "--fail-on", fail_on, inputs[case])
    assert result.returncode == code, result.stdout + result.stderr


@pytest.mark.parametrize("case, reason", [
    ("prod", "STOP: the worst action of the evaluated policies"),
    ("latest", "STOP: the image is denylisted"),
    ("golden", "GO: the image is allowlisted"),
    ("unmapped", "GO: no mapping matches the image, so no policy applies"),
])
def test_the_final_reason_is_reported(inputs, case, reason):
    text = regate("check", "--policy", POLICY, "--now", NOW, inputs[case]).stdout
    assert f"→ {reason}" in text
    assert text.rstrip().splitlines()[-1].startswith(reason.split(":")[0])


def test_text_report_marks_exceptions_and_expiry(inputs):
    text = regate("check", "--policy", POLICY, "--now", NOW, inputs["prod"]).stdout
    assert "STOP excepted by policy:strict/critical#1 until 2030-01-01: not reachable" in text
    assert "exception policy:strict/critical#2 has expired" in text


def test_eval_of_a_compiled_bundle_decides_like_check(inputs, decided, tmp_path):
    bundle = tmp_path / "bundle.tar.gz"
    assert regate("compile", POLICY, "-o", bundle).returncode == 0
    result = regate("eval", "--bundle", bundle, "--format", "json", "--now", NOW,
                    *[arg for path in inputs.values() for arg in ("--input", path)])
    assert result.returncode == 1, result.stderr
    assert dict(zip(inputs, decisions(result))) == decided
    assert report(result)["policy"]["revision"]
