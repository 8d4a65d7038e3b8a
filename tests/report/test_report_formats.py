"""Every report format over one real run: the semantics cases of
tests/engine/test_engine_semantics.py evaluated by `opa eval`."""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from dataclasses import replace
from datetime import date
from pathlib import Path

import pytest
from jsonschema import Draft4Validator

from engine.gatehelpers import NOW, ROOT
from engine.test_engine_semantics import CASES, POLICY
from regate.bundle import bundle_files, write_bundle
from regate.compile import compile_policies
from regate.engine import open_engine
from regate.engine.policy import PolicyInfo
from regate.engine.shapes import serialise
from regate.inputs import complete
from regate.report import FORMATS, Result, Run, render

SARIF_SCHEMA = ROOT / "tests" / "fixtures" / "sarif-schema-2.1.0.json"
POLICY_FILE = "tests/engine/policies/anchore/anchore.regate"


@pytest.fixture(scope="module")
def run(tmp_path_factory, opa) -> Run:
    compiled = compile_policies([POLICY], date(2026, 6, 1))
    bundle = tmp_path_factory.mktemp("bundle") / "bundle.tar.gz"
    write_bundle(compiled, bundle)
    with open_engine("cli", bundle) as engine:
        results = tuple(Result(f"inputs/{name}.json", engine.evaluate(complete({"now": NOW, **case})),
                               {"extract": 0.001, "evaluate": 0.05})
                        for name, case in CASES.items())
        info = engine.describe()
    return Run(results, PolicyInfo.from_files(bundle_files(compiled), compiled.program.root), info, "stop",
               {"compile": 0.2, "total": 1.0}, cached=False)


@pytest.fixture(autouse=True)
def from_the_checkout(monkeypatch):
    # Source locations are relative to the working directory, as CI runs regate from the checkout.
    monkeypatch.chdir(ROOT)


def _line_of(text: str) -> int:
    lines = (ROOT / POLICY_FILE).read_text().splitlines()
    return next(number for number, line in enumerate(lines, 1) if line.strip().startswith(text))


def _by_subject(run: Run, name: str) -> Result:
    return next(r for r in run.results if r.subject == f"inputs/{name}.json")


def test_every_format_renders_deterministically(run):
    for fmt in FORMATS:
        assert render(fmt, run) == render(fmt, run), fmt


# ------------------------------------------------------------------ sarif


def test_sarif_is_valid_sarif_2_1_0(run):
    log = json.loads(render("sarif", run))
    schema = json.loads(SARIF_SCHEMA.read_text())
    errors = sorted(Draft4Validator(schema).iter_errors(log), key=lambda e: list(e.path))
    assert not errors, [f"{list(e.path)}: {e.message}" for e in errors[:5]]


def test_sarif_rules_carry_metadata(run):
    rules = {r["id"]: r for r in json.loads(render("sarif", run))["runs"][0]["tool"]["driver"]["rules"]}
    assert set(rules) == {"strict/critical", "strict/root", "strict/linux", "lenient/critical", "regate/denylisted-image"}
    critical = rules["strict/critical"]
    assert critical["shortDescription"]["text"] == "Critical vulnerability"
    assert critical["help"]["text"] == "Upgrade the package.\nSee https://example.com/critical"
    assert critical["helpUri"] == "https://example.com/critical"
    assert critical["defaultConfiguration"]["level"] == "error"
    assert critical["properties"]["security-severity"] == "9.5"
    assert rules["strict/root"]["defaultConfiguration"]["level"] == "warning"


def test_sarif_results_point_at_the_policy_source(run):
    log = json.loads(render("sarif", run))["runs"][0]
    rules = log["tool"]["driver"]["rules"]
    prod = [r for r in log["results"] if r["properties"]["subject"] == "inputs/prod.json"]
    assert len(prod) == len(_by_subject(run, "prod").decision["findings"])
    for result in log["results"]:
        assert rules[result["ruleIndex"]]["id"] == result["ruleId"]
    critical = next(r for r in prod if r["properties"]["key"] == "CVE-2000-0003+deb:c@1" and r["ruleId"] == "strict/critical")
    location = critical["locations"][0]["physicalLocation"]
    assert location["artifactLocation"]["uri"] == POLICY_FILE
    assert location["region"] == {"startLine": _line_of("rule critical stop"), "startColumn": 3}
    assert critical["level"] == "error" and "suppressions" not in critical
    assert critical["message"]["text"] == "registry.example.com/prod/api:1: CVE-2000-0003 in c"


def test_sarif_keeps_excepted_findings_suppressed(run):
    results = json.loads(render("sarif", run))["runs"][0]["results"]
    excepted = next(r for r in results if r["properties"]["key"] == "CVE-2000-0001+deb:a@1" and r["ruleId"] == "strict/critical"
                    and r["properties"]["subject"] == "inputs/prod.json")
    assert excepted["suppressions"] == [{"kind": "inSource", "status": "accepted",
                                         "justification": "policy:strict/critical#1 until 2030-01-01: not reachable"}]
    assert excepted["properties"]["effectiveAction"] == "GO"


def test_sarif_reports_denylisted_images_and_distinct_fingerprints(run):
    results = json.loads(render("sarif", run))["runs"][0]["results"]
    denied = [r for r in results if r["ruleId"] == "regate/denylisted-image"]
    assert {r["properties"]["subject"] for r in denied} == {"inputs/latest.json", "inputs/golden-latest.json"}
    assert denied[0]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == POLICY_FILE
    # One alert per image repository, rule and finding key: team/api:1 and team/api:2 share theirs.
    alerts = {(r["properties"]["image"].rsplit(":", 1)[0], r["ruleId"], r["properties"]["key"]):
              r["partialFingerprints"]["regateFinding/v1"] for r in results}
    assert len(set(alerts.values())) == len(alerts)
    team = [r["partialFingerprints"]["regateFinding/v1"] for r in results
            if r["ruleId"] == "strict/root" and "/team/" in r["properties"]["image"]]
    assert len(team) == 2 and len(set(team)) == 1


# ------------------------------------------------------------------ junit


def _suites(run: Run) -> dict[str, ET.Element]:
    return {s.get("name"): s for s in ET.fromstring(render("junit", run).encode())}


def test_junit_one_suite_per_image_with_stable_names(run):
    suites = _suites(run)
    assert list(suites) == [r.image for r in run.results]
    prod = suites["registry.example.com/prod/api:1"]
    names = [(c.get("classname"), c.get("name")) for c in prod.iter("testcase")]
    assert ("regate.strict", "critical: CVE-2000-0003+deb:c@1") in names
    assert ("regate.strict", "root: image") in names
    assert ("regate.lenient", "critical: CVE-2000-0001+deb:a@1") in names
    assert len(names) == len(set(names))
    # A rule with nothing found is a passing test of its own.
    dev = suites["registry.example.com/dev/api:1"]
    assert [(c.get("name"), list(c)) for c in dev.iter("testcase")] == [("critical: CVE-2000-0003+deb:c@1", [dev.find(".//system-out")])]


def test_junit_outcomes(run):
    cases = {c.get("name"): c for c in _suites(run)["registry.example.com/prod/api:1"].iter("testcase")
             if c.get("classname") == "regate.strict"}
    assert cases["critical: CVE-2000-0003+deb:c@1"].find("failure").get("type") == "STOP"
    assert "excepted by policy:strict/critical#1" in cases["critical: CVE-2000-0001+deb:a@1"].find("skipped").get("message")
    assert cases["root: image"].find("failure") is None
    assert cases["root: image"].find("system-out").text.startswith("WARN: the image runs as root")
    suite = _suites(run)["registry.example.com/prod/api:1"]
    assert (suite.get("failures"), suite.get("skipped")) == ("2", "1")
    latest = _suites(run)["registry.example.com/prod/api:latest"]
    assert latest.find("testcase[@name='image']/failure").get("type") == "STOP"


def test_junit_warn_fails_with_fail_on_warn(run):
    strict = Run(run.results, run.policy, run.engine, "warn")
    cases = {c.get("name"): c for c in _suites(strict)["registry.example.com/prod/api:1"].iter("testcase")
             if c.get("classname") == "regate.strict"}
    assert cases["root: image"].find("failure").get("type") == "WARN"


# ------------------------------------------------------------------ github, markdown, text, json


def test_github_annotations(run):
    lines = render("github", run).splitlines()
    assert all(re.match(r"^::(error|warning|notice) ", line) for line in lines)
    assert (f"::error file={POLICY_FILE},line={_line_of('rule critical stop')},col=3,title=strict/critical::"
            "registry.example.com/prod/api:1: CVE-2000-0003 in c") in lines
    assert any(line.startswith("::notice ") and "title=strict/critical (STOP%2C excepted)" in line for line in lines)
    assert any(line.startswith(f"::warning file={POLICY_FILE},line={_line_of('rule root warn')},col=3,title=strict/root::") for line in lines)
    assert lines[-1].startswith("::error title=regate%3A STOP::")


def test_github_escapes_what_would_break_a_command():
    from regate.report.github import _command

    line = _command("error", "50% done\nsecond line", "a: b, c")
    assert line == "::error title=a%3A b%2C c::50%25 done%0Asecond line"


def test_markdown_summary(run):
    text = render("markdown", run)
    assert text.startswith("## regate: 🛑 STOP\n")
    assert "| `registry.example.com/prod/api:1` | 🛑 STOP | policy evaluation | 2 | 4 | 2 |" in text
    assert "| `registry.example.com/golden/base:1` | ✅ GO | allowlisted | 0 | 0 | 0 |" in text
    assert "STOP excepted by policy:strict/critical#1 until 2030-01-01: not reachable" in text
    assert "<details><summary>docker.io/library/nginx:1.25" not in text


def test_markdown_cells_cannot_break_the_table():
    from regate.report.markdown import _cell

    assert _cell("a | b <script>\nc") == "a \\| b &lt;script&gt; c"


def test_text_groups_by_action_and_ends_with_the_verdict(run):
    text = render("text", run)
    prod = text.split("registry.example.com/prod/api:1\n", 1)[1].split("\n\n", 2)[1]
    actions = [m.group(1) for m in re.finditer(r"^  (STOP|WARN|GO) +\w+/\w+ ", prod, re.M)]
    assert actions == sorted(actions, key=["STOP", "WARN", "GO"].index) and len(set(actions)) == 3
    assert text.rstrip().splitlines()[-1] == "STOP: 8 images checked (4 STOP, 1 WARN, 3 GO), failing on STOP · exit 1"
    assert "\033[" not in text
    assert "\033[1;31mSTOP\033[0m" in render("text", run, color=True)


def test_json_report(run):
    document = json.loads(render("json", run))
    assert document["report_version"] == 1
    assert (document["verdict"], document["exit_code"], document["fail_on"]) == ("STOP", 1, "STOP")
    assert document["engine"]["name"] == "cli" and document["engine"]["opa_version"]
    assert document["policy"] == {"revision": run.policy.revision, "cached": False}
    assert document["timings_ms"] == {"compile": 200.0, "total": 1000.0}
    first = document["results"][0]
    assert first["subject"] == "inputs/prod.json"
    assert first["image"] == {"reference": "registry.example.com/prod/api:1", "digest": "", "id": ""}
    assert first["decision"] == run.results[0].decision
    assert first["timings_ms"] == {"evaluate": 50.0, "extract": 1.0}


@pytest.mark.parametrize("big", [False, True], ids=["orjson", "an integer past 64 bits"])
def test_json_report_embeds_each_input_as_the_bytes_the_engine_sent(run, big):
    # `check --format json` keeps each input as the JSON its engine sent (engine.shapes.Serialised):
    # the report holds those bytes, compact, and is indented around them. An integer past 64 bits
    # in an explanation's patch (which holds the input's values) sends the report through the json
    # module: the inputs are still those bytes.
    documents = [complete({"now": NOW, **case}) for case in CASES.values()]
    if big:
        documents[1]["image"]["size"] = 2**70
    sent = [serialise(document) for document in documents]
    results = [replace(result, input=kept) for result, kept in zip(run.results, sent)]
    if big:
        patch = [{"op": "add", "path": "/image/size", "value": 2**70}]
        results[1] = replace(results[1], explanation={"patch": patch, "plan": []})
    text = render("json", replace(run, results=tuple(results)))
    assert text.startswith(b'{\n  "report_version": 1,\n  "regate_version": ')
    ends = [b",\n" if big and index == 1 else b"\n" for index in range(len(sent))]  # the explanation follows
    assert [text.count(b'\n      "input": ' + kept.json + end) for kept, end in zip(sent, ends)] == [1] * len(sent)
    report = json.loads(text)
    assert [result["input"] for result in report["results"]] == documents
    if big:
        assert b'"size":1180591620717411303424' in sent[1].json
        assert report["results"][1]["explanation"]["patch"] == patch
        assert b"regate-input-" not in text


def test_locations_outside_the_working_directory_are_absolute(run, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    uri = json.loads(render("sarif", run))["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
    assert uri == f"file://{ROOT / POLICY_FILE}"
    assert Path(uri.removeprefix("file://")).exists()
