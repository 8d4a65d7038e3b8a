"""The imported bundle against Anchore's own recorded evaluation.

DefectDojo's fixture is `anchore-cli evaluate check --detail --json` for
gcr.io/jenkinsxio/builder-maven:latest: the bundle Anchore evaluated and the table of findings it
fired. The image analysis is not recorded, so the input document is rebuilt from the table (each
vulnerability row names the vulnerability, severity, package class and type, and the package's
name or path; the HEALTHCHECK row says the Dockerfile has none). The imported bundle must fire
exactly the recorded findings with the recorded actions and final action, and a whitelist of the
recorded trigger ids must except every one of them: regate computes Anchore's trigger ids.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from datetime import date
from pathlib import Path

import pytest

from report.anchore_consumer import read_findings
from engine.gatehelpers import regate
from regate.bundle import write_directory
from regate.compile import compile_policies
from regate.importers.anchore import import_anchore
from regate.inputs import complete

RECORDED = (Path(__file__).parents[1] / "fixtures" / "realworld" / "anchore-outputs"
            / "defectdojo_anchore-enterprise_builder-maven_policy_evaluate.json")
ROW = re.compile(r"^(\w+) Vulnerability found in (os|non-os) package type \((\w+)\) - (\S+) \((\S+) - (\S+)\)$")
TYPES = {"java": "java-archive", "python": "python", "rpm": "rpm"}


DIGEST = "sha256:8fdd536f0caa79bb924b9c1b9451b49957322d1b07ab23def8c9a49448e5d462"
IMAGE_ID = "c1d974aa689be7e7bd02120230be10de2ea3f3beb85b1c4975cfb218b8468ef0"


def _recorded():
    detail = json.loads(RECORDED.read_text())[0][DIGEST]["gcr.io/jenkinsxio/builder-maven:latest"][0]["detail"]
    table = next(iter(detail["result"]["result"].values()))["result"]
    rows = [dict(zip(table["header"], row)) for row in table["rows"]]
    return detail["policy"], rows, detail["result"]["final_action"]


def _document(rows: list[dict]) -> dict:
    packages, vulnerabilities = {}, {}
    for n, row in enumerate(r for r in rows if r["Gate"] == "vulnerabilities"):
        severity, kind, anchore_type, where, vulnerability, link = ROW.match(row["Check_Output"]).groups()
        fname = row["Trigger_Id"].split("+", 1)[1]
        if kind == "os":
            name, version, locations = where, f"0-{n}", ["/var/lib/rpm/Packages"]
        elif anchore_type == "python":  # Anchore's id for it is <name>-<version>
            name, version, locations = fname.rsplit("-", 1) + [[where]]
        else:  # a Java archive: Anchore's id is the file name of its path
            name, version, locations = fname, f"0-{n}", [where]
        package = {"name": name, "version": version, "type": TYPES[anchore_type], "os": kind == "os", "locations": locations}
        key = f"{package['type']}:{name}@{version}"
        packages[key] = package
        vulnerabilities[f"{vulnerability}+{key}"] = {"id": vulnerability, "severity": severity.lower(), "urls": [link],
                                                     "fix": {"state": "unknown", "versions": [], "available": False},
                                                     "package": {"key": key, **package}}
    return complete({
        "now": "2026-01-01T00:00:00Z",
        "image": {"reference": "gcr.io/jenkinsxio/builder-maven:latest", "registry": "gcr.io",
                  "repository": "jenkinsxio/builder-maven", "tag": "latest", "distro": {"name": "centos", "version": "7"},
                  "user": "", "exposed_ports": {},
                  "dockerfile": {"mode": "guessed", "instructions": [
                      {"index": 0, "instruction": "FROM", "value": "centos:7", "stage": 0, "final_stage": True},
                      {"index": 1, "instruction": "CMD", "value": "[\"bash\"]", "stage": 0, "final_stage": True}]}},
        "sources": [{"tool": "grype", "format": "grype-json", "data_built": "2026-01-01T00:00:00Z", "distros": ["centos:7"]}],
        "packages": packages, "vulnerabilities": vulnerabilities})


def _evaluate(bundle: dict, document: dict, opa, tmp_path: Path) -> dict:
    (tmp_path / "bundle.json").write_text(json.dumps(bundle))
    imported = import_anchore([tmp_path / "bundle.json"])
    source = tmp_path / "policy"
    source.mkdir(exist_ok=True)
    (source / imported.filename).write_text(imported.text)
    write_directory(compile_policies([source], date(2026, 1, 1)), tmp_path / "out")
    (tmp_path / "input.json").write_text(json.dumps(document))
    result = opa.run("eval", "--format", "json", "-b", str(tmp_path / "out"), "-i", str(tmp_path / "input.json"),
                     "data.regate.decision.main")
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)["result"][0]["expressions"][0]["value"]




@pytest.fixture
def recorded():
    return _recorded()


def test_the_imported_bundle_fires_what_anchore_recorded(recorded, opa, tmp_path):
    bundle, rows, final_action = recorded
    decision = _evaluate(bundle, _document(rows), opa, tmp_path)
    origins = _origins(tmp_path)
    fired = Counter((origins[(f["policy"], f["rule"])], f["key"].split("+", 1)[0] if f["rule"].startswith("vulnerabilities")
                     else f["message"], f["action"]) for f in decision["findings"])
    expected = Counter(((r["Gate"], r["Trigger"]), ROW.match(r["Check_Output"]).group(5)
                        if r["Gate"] == "vulnerabilities" else r["Check_Output"], r["Gate_Action"].upper()) for r in rows)
    assert fired == expected
    assert decision["final_action"] == final_action.upper()


def test_a_whitelist_of_the_recorded_trigger_ids_excepts_every_finding(recorded, opa, tmp_path):
    bundle, rows, _ = recorded
    bundle = json.loads(json.dumps(bundle))
    bundle["whitelists"][0]["items"] = [{"id": f"item-{n}", "gate": r["Gate"], "trigger_id": r["Trigger_Id"]}
                                        for n, r in enumerate(rows)]
    decision = _evaluate(bundle, _document(rows), opa, tmp_path)
    assert len(decision["findings"]) == len(rows)
    assert [f["message"] for f in decision["findings"] if not f["exception"]] == []
    assert decision["final_action"] == "GO"


def _table(evaluation: list) -> list[dict]:
    ((by_tag,),) = [item.values() for item in evaluation]
    ((detail,),) = [[e["detail"]["result"] for e in evaluations] for evaluations in by_tag.values()]
    table = detail["result"][detail["image_id"]]["result"]
    return [dict(zip(table["header"], row)) for row in table["rows"]]


def test_format_anchore_of_the_imported_bundle_writes_anchores_table(recorded, tmp_path):
    """`regate check --format anchore` on the imported bundle: the rows Anchore recorded (gate, trigger,
    trigger id, action, whitelisted), and DefectDojo's parser reads the findings it read from Anchore's."""
    bundle, rows, _ = recorded
    (tmp_path / "bundle.json").write_text(json.dumps(bundle))
    imported = regate("import", "anchore", str(tmp_path / "bundle.json"), "-o", str(tmp_path / "policy"))
    assert imported.returncode == 0, imported.stderr
    document = _document(rows)
    document["image"].update(digest=DIGEST, id=f"sha256:{IMAGE_ID}")
    (tmp_path / "input.json").write_text(json.dumps(document))
    checked = regate("check", "--policy", str(tmp_path / "policy"), str(tmp_path / "input.json"), "--format", "anchore")
    assert checked.returncode == 1, checked.stderr  # STOP, as Anchore's final action
    ours = json.loads(checked.stdout)
    columns = ("Image_Id", "Repo_Tag", "Trigger_Id", "Gate", "Trigger", "Gate_Action", "Whitelisted")
    assert Counter(tuple(r[c] for c in columns) for r in _table(ours)) == Counter(tuple(r[c] for c in columns) for r in rows)
    assert any(len(r["Trigger_Id"]) == 32 and r["Gate"] == "dockerfile" for r in rows)  # an MD5 id is among them

    # Check_Output words vulnerabilities from regate's facts (docs/anchore.md) and Policy_Id is the
    # policy's regate name, so DefectDojo's description, file path and references differ; the rest is Anchore's.
    def finding(f):
        return f.title, f.severity, f.component_name, f.component_version, f.vulnerability_id
    expected = Counter(finding(f) for f in read_findings(json.loads(RECORDED.read_text())))
    assert Counter(finding(f) for f in read_findings(ours)) == expected and sum(expected.values()) == 57


def _origins(tmp_path: Path) -> dict:
    config = json.loads((tmp_path / "out" / "data.json").read_text())["regate"]["config"]
    return {(policy, rule): tuple(meta["origin"].split(":")[1:3])
            for policy, spec in config["policies"].items() for rule, meta in spec["rules"].items()}
