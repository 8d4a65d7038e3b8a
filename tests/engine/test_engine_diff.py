"""`regate diff` on the production example's inputs, with deliberate edits of the
policy: the exact changes each edit makes, through real OPA (managed servers
and `opa eval` agree), and the exit code saying whether a verdict got worse."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from engine.gatehelpers import EXAMPLES, NOW, regate
from engine.gatehelpers import isolated_cache  # noqa: F401  (autouse: a compile cache per test process)

PRODUCTION = EXAMPLES / "production"
INPUTS = PRODUCTION / "inputs"
CLEAN, VULNERABLE = str(INPUTS / "clean.json"), str(INPUTS / "vulnerable.json")
CLEAN_IMAGE, VULNERABLE_IMAGE = "registry.example.com/prod/payments:2.4.2", "registry.example.com/prod/payments:2.4.1"


def _edited(tmp_path: Path, name: str, policy_edits=(), list_edit=None) -> Path:
    """A copy of the production policy with each (old, new) text replaced, and its denied list edited."""
    head = tmp_path / name
    shutil.copytree(PRODUCTION, head, ignore=shutil.ignore_patterns("*_test.yaml", "inputs"))
    source = head / "production.regate"
    text = source.read_text()
    for old, new in policy_edits:
        assert old in text, old
        text = text.replace(old, new)
    source.write_text(text)
    if list_edit is not None:
        denied = head / "lists" / "denied-packages.yaml"
        denied.write_text(list_edit(denied.read_text()))
    return head


@pytest.fixture(scope="module")
def stricter(tmp_path_factory) -> Path:
    """Critical-and-fixable lowered to high-and-fixable; openssl denied."""
    return _edited(tmp_path_factory.mktemp("stricter"), "head",
                   [("v.severity >= critical and v.fix.available", "v.severity >= high and v.fix.available")],
                   lambda text: text + "  - openssl\n")


@pytest.fixture(scope="module")
def looser(tmp_path_factory) -> Path:
    """telnet no longer denied; an exception for the openssl CVE."""
    anchor = '  allow critical_fixable where v.id == "CVE-2023-44487"'
    return _edited(tmp_path_factory.mktemp("looser"), "head",
                   [(anchor, '  allow critical_fixable where v.id == "CVE-2024-0727" because "patched in place"\n' + anchor)],
                   lambda text: text.replace("  - telnet\n", ""))


def _diff(head: Path, *args: str):
    return regate("diff", "--now", NOW, "--base", PRODUCTION, "--head", head, *args)


def _finding(rule: str, key: str, message: str, change: str, base, head) -> dict:
    return {"policy": "production", "rule": rule, "key": key, "message": message, "change": change,
            "base": base, "head": head}


def test_a_stricter_policy_shows_each_new_finding_and_the_verdict_that_gets_worse(stricter):
    done = _diff(stricter, "--format", "json", "--workers", "2", CLEAN, VULNERABLE)
    assert done.returncode == 1, done.stderr
    impact = json.loads(done.stdout)
    assert impact["summary"] == {"images": 2, "images_changed": 2, "worse": 1, "better": 0, "findings_appeared": 3,
                                 "findings_disappeared": 0, "findings_changed": 0}
    assert impact["base"]["final_actions"] == {"STOP": 1, "WARN": 0, "GO": 1}
    assert impact["head"]["final_actions"] == {"STOP": 2, "WARN": 0, "GO": 0}
    assert impact["rules"] == [
        {"policy": "production", "rule": "critical_fixable", "appeared": 1, "disappeared": 0, "changed": 0, "images": 1},
        {"policy": "production", "rule": "denied_package", "appeared": 2, "disappeared": 0, "changed": 0, "images": 2},
    ]
    assert impact["images"] == [
        {"subject": CLEAN, "image": CLEAN_IMAGE, "base": "GO", "head": "STOP", "verdict": "worse", "findings": [
            _finding("denied_package", "deb:openssl@3.0.13-1~deb12u1",
                     "openssl 3.0.13-1~deb12u1 must not ship in production", "appeared", None, "STOP")]},
        {"subject": VULNERABLE, "image": VULNERABLE_IMAGE, "base": "STOP", "head": "STOP", "verdict": "same", "findings": [
            _finding("critical_fixable", "CVE-2023-38545+deb:curl@7.88.1-10+deb12u4",
                     "CVE-2023-38545 in curl 7.88.1-10+deb12u4, fixed in 7.88.1-10+deb12u5", "appeared", None, "STOP"),
            _finding("denied_package", "deb:openssl@3.0.11-1~deb12u1",
                     "openssl 3.0.11-1~deb12u1 must not ship in production", "appeared", None, "STOP")]},
    ]
    assert impact["base"]["revision"] != impact["head"]["revision"]
    # `opa eval` per document and policy says the same.
    cli = _diff(stricter, "--format", "json", "--engine", "cli", CLEAN, VULNERABLE)
    assert cli.returncode == 1 and json.loads(cli.stdout) == impact


def test_a_looser_policy_shows_what_disappears_and_what_an_exception_changes(looser):
    done = _diff(looser, "--format", "json", str(INPUTS))
    assert done.returncode == 0, done.stderr
    impact = json.loads(done.stdout)
    assert impact["summary"] == {"images": 2, "images_changed": 1, "worse": 0, "better": 0, "findings_appeared": 0,
                                 "findings_disappeared": 1, "findings_changed": 1}
    assert impact["images"] == [
        {"subject": VULNERABLE, "image": VULNERABLE_IMAGE, "base": "STOP", "head": "STOP", "verdict": "same", "findings": [
            _finding("critical_fixable", "CVE-2024-0727+deb:openssl@3.0.11-1~deb12u1",
                     "CVE-2024-0727 in openssl 3.0.11-1~deb12u1, fixed in 3.0.13-1~deb12u1", "changed", "STOP", "GO"),
            _finding("denied_package", "deb:telnet@0.17+2.4-2", "telnet 0.17+2.4-2 must not ship in production",
                     "disappeared", "STOP", None)]},
    ]


def test_the_same_policy_changes_nothing(tmp_path):
    lines = tmp_path / "inputs.jsonl"
    lines.write_text("\n".join(json.dumps(json.loads(Path(p).read_text())) for p in (CLEAN, VULNERABLE)) + "\n")
    done = _diff(PRODUCTION, lines)
    assert done.returncode == 0, done.stderr
    assert "0 of 2 images change: 0 worse, 0 better; findings +0 -0 ~0" in done.stdout


def test_the_markdown_report_is_a_short_summary_with_the_details_collapsed(stricter, tmp_path):
    output = tmp_path / "comment.md"
    done = _diff(stricter, "--format", "markdown", "-o", output, CLEAN, VULNERABLE)
    assert done.returncode == 1
    assert "regate diff: 2 of 2 images change, 1 worse (" in done.stderr and "markdown report written to" in done.stderr
    text = output.read_text()
    summary, details = text.split("<details>", 1)
    assert summary.startswith("## regate diff: 🛑 1 image gets a worse verdict\n")
    assert "| 🛑 STOP | 1 | 2 |" in summary and "| ✅ GO | 1 | 0 |" in summary
    assert "| `production/denied_package` | 2 | 0 | 0 | 2 |" in summary
    assert f"| `{CLEAN_IMAGE}` | ✅ GO | 🛑 STOP | +1 |" in details
    assert ("- ➕ 🛑 STOP `production/denied_package` `deb:openssl@3.0.13-1~deb12u1`: "
            "openssl 3.0.13-1~deb12u1 must not ship in production") in details
    assert details.rstrip().endswith("</sub>") and "</details>" in details


def test_documents_that_are_not_prepared_are_refused(tmp_path, stricter):
    grype = EXAMPLES / "anchore-default" / "inputs" / "busybox-1.32.1.grype.json"
    done = _diff(stricter, str(grype))
    assert done.returncode == 2
    assert "must be prepared with `regate extract` first" in done.stderr
    broken = tmp_path / "broken.jsonl"
    broken.write_text(json.dumps(json.loads(Path(CLEAN).read_text())) + "\n{not json\n")
    done = _diff(stricter, broken)
    assert done.returncode == 2
    assert f"{broken}:2: invalid JSON" in done.stderr
