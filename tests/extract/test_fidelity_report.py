"""`make fidelity` (bench/fidelity.py) and the warnings extraction gives where it leaves a fact out."""

from __future__ import annotations

import copy
import importlib.util
import subprocess
import sys
from pathlib import Path

from corpus_helpers import corpus, raw
from regate.extract.adapters.normalize import SEVERITIES
from regate.extract.registry import extract_json

SCRIPT = Path(__file__).resolve().parents[2] / "bench" / "fidelity.py"
GRYPE = "grype/kubevuln_alpine-3.17.2_grype_index-digest.json"


def _fidelity():
    spec = importlib.util.spec_from_file_location("fidelity", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_corpus_report_accounts_for_every_difference():
    done = subprocess.run([sys.executable, str(SCRIPT)], capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr
    lines = done.stdout.splitlines()
    assert lines[-1].endswith("; 0 unexplained differences")
    at = lines.index("trivy/defectdojo_debian-10.13_trivy_all-statuses.json")
    assert "vulnerabilities 8/7" in lines[at + 1]  # the not_affected record, and the warning saying so:
    assert lines[at + 2].startswith("  dropped: 1 vulnerability records have Status not_affected")


def test_a_difference_no_warning_explains_is_reported_and_fails_the_run(monkeypatch, capsys):
    fidelity = _fidelity()
    counted = fidelity.source_counts
    monkeypatch.setattr(fidelity, "source_counts", lambda fmt, doc: {**counted(fmt, doc), "packages": 3})
    monkeypatch.setattr(sys, "argv", ["fidelity.py", GRYPE])
    assert fidelity.main() == 1
    out = capsys.readouterr().out
    assert "UNEXPLAINED: packages 3 in the source, 2 in the document, no warning says why" in out


def test_a_field_stated_twice_with_different_values_is_named():
    """Derived from a real Grype report: its first match again, rated differently."""
    report = raw(GRYPE)
    again = copy.deepcopy(report["matches"][0])
    again["vulnerability"]["severity"] = "Low" if again["vulnerability"]["severity"] != "Low" else "High"
    report["matches"].append(again)
    extraction = extract_json(report, str(corpus(GRYPE)))
    key = f"{again['vulnerability']['id']}+apk:{again['artifact']['name']}@{again['artifact']['version']}"
    [warning] = [w for w in extraction.warnings if "stated twice" in w]
    assert f"vulnerabilities[{key}].severity" in warning
    rated = {report["matches"][0]["vulnerability"]["severity"].lower(), again["vulnerability"]["severity"].lower()}
    assert extraction.facts["vulnerabilities"][key]["severity"] == max(rated, key=SEVERITIES.index)  # the more severe


def test_the_same_record_twice_is_no_disagreement():
    report = raw(GRYPE)
    report["matches"].append(copy.deepcopy(report["matches"][0]))
    assert not any("stated twice" in w for w in extract_json(report, "again.json").warnings)
