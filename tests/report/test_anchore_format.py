"""`--format anchore`: Anchore's policy-evaluation JSON, read by DefectDojo's parsing logic
(tests/report/anchore_consumer.py) into the findings regate's decisions hold."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import datetime, timezone

import pytest

from anchore_consumer import read_findings
from engine.gatehelpers import ROOT
from regate.engine.policy import PolicyInfo
from regate.report import render
from regate.report.anchore import HEADER, document
from report.test_report_formats import run  # noqa: F401  (the module's fixture: a real run through opa eval)

ANCHORE_SAMPLE = ROOT / "tests" / "fixtures" / "realworld" / "anchore-outputs" / \
    "defectdojo_anchore-enterprise_builder-maven_policy_evaluate.json"


def test_the_consumer_reads_anchores_own_output():
    """The oracle is faithful: on a real Anchore Enterprise evaluation it finds what DefectDojo's own tests expect."""
    findings = read_findings(json.loads(ANCHORE_SAMPLE.read_text()))
    assert len(findings) == 57
    first = findings[0]
    assert first.title == "DefaultPolicy - gate|dockerfile - trigger|41cb7cdf04850e33a11f80c42bf660b3"
    assert (first.severity, first.component_name, first.component_version) == ("Medium", "gcr.io/jenkinsxio/builder-maven", "latest")
    struts = findings[1]
    assert struts.vulnerability_id == "CVE-2015-2992"
    assert struts.file_path == "/root/.m2/repository/org/apache/struts/struts-core/1.3.8/struts-core-1.3.8.jar"


def test_defectdojo_reads_every_finding(run):  # noqa: F811
    text = render("anchore", run)
    findings = read_findings(json.loads(text))
    expected = []
    titles = {p: run.policy.config["policies"][p]["title"] for p in run.policy.config["policies"]}
    for result in run.results:
        name, _, tag = result.decision["image"]["reference"].rpartition(":")
        for f in result.decision["findings"]:
            severity = {"STOP": "Critical", "WARN": "Medium"}.get(f["effective_action"], "Low")
            expected.append((titles[f["policy"]], f["policy"], f["message"], severity, name, tag))
    got = [(x.title.split(" - gate|")[0], x.title.split(" - gate|")[1].split(" - trigger|")[0], x.description, x.severity,
            x.component_name, x.component_version) for x in findings]
    assert got == expected and len(got) >= 10
    vulnerabilities = {x.vulnerability_id for x in findings if x.vulnerability_id}
    assert vulnerabilities == {f["key"].partition("+")[0] for r in run.results for f in r.decision["findings"]
                               if f["key"].startswith("CVE")}


def test_shape_and_verdicts(run):  # noqa: F811
    out = document(run, datetime(2026, 6, 1, tzinfo=timezone.utc))
    assert len(out) == len(run.results)
    for item, result in zip(out, run.results):
        decision = result.decision
        ((key, by_tag),) = item.items()
        ((tag, (evaluation,)),) = by_tag.items()
        detail = evaluation["detail"]["result"]
        table = detail["result"][detail["image_id"]]["result"]
        assert table["header"] == HEADER and table["row_count"] == len(decision["findings"])
        assert tag == decision["image"]["reference"] and detail["tag"] == tag
        assert key == decision["image"].get("digest") or key == decision["image"].get("id") or key == result.subject
        assert table["final_action"] == detail["final_action"] == decision["final_action"].lower()
        assert evaluation["status"] == detail["status"] == ("fail" if decision["final_action"] == "STOP" else "pass")
        assert evaluation["last_evaluation"] == "2026-06-01T00:00:00Z"
        assert detail["final_action_reason"] == {"allowlisted": "whitelisted", "denylisted": "blacklisted"}.get(
            decision["final_reason"], decision["final_reason"])
        assert [e["details"] for e in detail["evaluation_problems"]] == decision["errors"]
        for row, finding in zip(table["rows"], decision["findings"]):
            # A native rule: Gate is its policy, Trigger the rule.
            assert row[3:7] == [finding["policy"], finding["rule"], finding["message"], finding["effective_action"].lower()]
            assert row[8] == finding["policy"]
            excepted = finding.get("exception") and finding["effective_action"] == "GO"
            assert (row[7] is not False) == bool(excepted)
            if finding["key"].startswith("CVE"):
                assert row[2] == finding["key"].partition("+")[0] + "+" + finding["key"].partition(":")[2].rpartition("@")[0]
            else:
                assert len(row[2]) == 32
    reasons = {evaluation["detail"]["result"]["final_action_reason"]
               for item in out for by_tag in item.values() for (evaluation,) in by_tag.values()}
    assert {"policy_evaluation", "whitelisted", "blacklisted"} <= reasons


def test_imported_rules_carry_their_anchore_gate_and_trigger(run):  # noqa: F811
    """A rule imported from an Anchore bundle has `origin` anchore:<gate>:<trigger>:<rule id> in its metadata."""
    config = json.loads(json.dumps(run.policy.config))
    config["policies"]["strict"]["rules"]["critical"]["origin"] = "anchore:vulnerabilities:package:rule-7f3a"
    imported = replace(run, policy=PolicyInfo(run.policy.revision, config, run.policy.root))
    out = document(imported)
    rows = [row for item in out for by_tag in item.values() for (evaluation,) in by_tag.values()
            for table in evaluation["detail"]["result"]["result"].values() if isinstance(table, dict)
            for row in table["result"]["rows"]]
    critical = [row for row in rows if row[8] == "strict" and row[5].startswith("CVE")]
    assert critical and all(row[3:5] == ["vulnerabilities", "package"] for row in critical)
    rules = {r["id"]: r for p in out[0][next(iter(out[0]))].values() for r in p[0]["detail"]["policy"]["policies"][0]["rules"]}
    assert rules["rule-7f3a"]["gate"] == "vulnerabilities" and rules["root"]["gate"] == "strict"


@pytest.mark.parametrize("reference, expected", [
    ("registry.example.com:5000/team/app:1@sha256:" + "a" * 64, "registry.example.com:5000/team/app:1"),
    ("", "<none>:<none>"),
])
def test_repo_tag(reference, expected):
    from regate.report.anchore import repo_tag

    assert repo_tag({"reference": reference} if reference else {}) == expected
