"""`regate test` end to end: real policies, real test files, the real `opa test`."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from xml.etree import ElementTree

import pytest

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples"


def regate(*args, cwd=None) -> subprocess.CompletedProcess:
    result = subprocess.run([sys.executable, "-m", "regate", "test", *map(str, args)], capture_output=True,
                            text=True, cwd=cwd)
    assert "Traceback" not in result.stderr, result.stderr
    return result


@pytest.fixture
def production(tmp_path) -> Path:
    """A copy of the production example to break on purpose."""
    copy = tmp_path / "production"
    shutil.copytree(EXAMPLES / "production", copy)
    return copy


def _line_of(path: Path, needle: str) -> int:
    return next(i for i, line in enumerate(path.read_text().splitlines(), 1) if needle in line)


def test_every_example_passes_with_full_coverage(opa):
    result = regate(EXAMPLES, "--coverage", "--threshold", "100", cwd=ROOT)
    assert result.returncode == 0, result.stdout + result.stderr
    assert " 0 failed" in result.stdout
    assert result.stdout.count("100.0% of policy lines") == len([p for p in EXAMPLES.iterdir() if p.is_dir()])


def test_wrong_expectation_fails_pointing_at_its_line(opa, production):
    tests = production / "production_test.yaml"
    text = tests.read_text().replace("rules: {critical_fixable: FAIL, known_exploited: PASS, runs_as_root: PASS}",
                                     "rules: {critical_fixable: PASS, known_exploited: PASS, runs_as_root: PASS}")
    tests.write_text(text)
    result = regate(production, cwd=production.parent)
    assert result.returncode == 1
    line = _line_of(tests, "rules: {critical_fixable: PASS")
    assert f"production/production_test.yaml:{line}:" in result.stdout
    assert "rules.critical_fixable: expected PASS, got FAIL" in result.stdout
    assert "findings: CVE-2024-0727 in openssl 3.0.11-1~deb12u1, fixed in 3.0.13-1~deb12u1" in result.stdout
    rule_line = _line_of(production / "production.regate", "rule critical_fixable stop")
    assert f"rule critical_fixable is defined at production/production.regate:{rule_line}:3" in result.stdout
    assert "FAIL  a fixable critical vulnerability stops the build" in result.stdout


def test_rule_that_no_longer_fires(opa, production):
    policy = production / "production.regate"
    policy.write_text(policy.read_text().replace("v.severity >= critical and v.fix.available",
                                                 "v.severity >= critical and v.fix.available and v.kev"))
    result = regate(production, cwd=production.parent)
    assert result.returncode == 1
    assert "FAIL  a fixable critical vulnerability stops the build" in result.stdout
    tests = production / "production_test.yaml"
    action_line = _line_of(tests, "action: STOP")  # the first case's
    assert f"production/production_test.yaml:{action_line}:15: action: expected STOP, got GO" in result.stdout
    entry_line = _line_of(tests, "- rule: critical_fixable")
    assert f"production/production_test.yaml:{entry_line}:11: findings.0: expected" in result.stdout
    assert "actual findings: none" in result.stdout


@pytest.mark.parametrize("broken, code, where", [
    ("cases:\n  - name: x\n    expect: {action: MAYBE}\n", "E605", "3:22"),
    ("cases:\n  - name: x\n    expect: {rules: {critical_fixible: FAIL}}\n", "E604", "3:22"),
    ("cases:\n  - name: x\n    inputs: {}\n    expect: {}\n", "E602", "3:5"),
    ("cases:\n  - name: x\n    input_file: missing.json\n    expect: {}\n", "E606", "3:17"),
    ("cases:\n  - name: x\n    expect: {action: STOP\n", "E601", "4:1"),
    ("now: yesterday\ncases: []\n", "E610", "1:6"),
])
def test_malformed_test_files_are_located_errors(opa, production, broken, code, where):
    (production / "production_test.yaml").write_text(broken)
    result = regate(production, cwd=production.parent)
    assert result.returncode == 2, result.stdout + result.stderr
    assert f"production/production_test.yaml:{where}: error[{code}]" in result.stderr


def test_did_you_mean_for_rule_names(opa, production):
    (production / "production_test.yaml").write_text("cases:\n  - name: x\n    expect: {rules: {critical_fixible: FAIL}}\n")
    assert 'did you mean "critical_fixable"?' in regate(production, cwd=production.parent).stderr


def test_an_unexercised_rule_and_condition_are_reported(opa, production):
    tests = production / "production_test.yaml"
    spec = tests.read_text()
    kept = spec.split("  - name: a known exploited vulnerability")[0]
    tests.write_text(kept)
    result = regate(production, "--coverage", "--threshold", "95", cwd=production.parent)
    assert result.returncode == 1
    rule_line = _line_of(production / "production.regate", "rule known_exploited stop")
    assert f"production/production.regate:{rule_line}:3: rule known_exploited never matched" in result.stdout
    assert "condition never held: v.kev" in result.stdout
    assert "below the threshold of 95%" in result.stdout


def test_run_selects_cases(opa):
    result = regate(EXAMPLES / "production", "-k", "exception", cwd=ROOT)
    assert result.returncode == 0
    assert "2 passed, 0 failed" in result.stdout


def test_json_and_junit_reports(opa, production, tmp_path):
    tests = production / "production_test.yaml"
    tests.write_text(tests.read_text().replace("action: GO\n      rules: {critical_fixable: PASS}\n\n  - name: the HTTP/2",
                                               "action: STOP\n      rules: {critical_fixable: PASS}\n\n  - name: the HTTP/2"))
    result = regate(production, "--format", "json", cwd=production.parent)
    assert result.returncode == 1
    cases = json.loads(result.stdout)["sets"][0]["cases"]
    failed = [c for c in cases if c["status"] == "FAIL"]
    assert [c["case"] for c in failed] == ["a critical vulnerability without a fix does not stop it"]
    assert failed[0]["failures"][0]["expected"] == "STOP" and failed[0]["failures"][0]["actual"] == "GO"
    lines = tests.read_text().splitlines()
    case_line = _line_of(tests, "name: a critical vulnerability without a fix")
    action_line = next(i for i in range(case_line, len(lines) + 1) if "action: STOP" in lines[i - 1])
    assert failed[0]["failures"][0]["location"]["line"] == action_line
    out = tmp_path / "junit.xml"
    assert regate(production, "--format", "junit", "-o", out, cwd=production.parent).returncode == 1
    suite = ElementTree.parse(out).getroot().find("testsuite")
    assert suite.get("failures") == "1" and int(suite.get("tests")) == len(cases)
    names = [c.get("name") for c in suite.iter("testcase")]
    assert names == [c["case"] for c in cases]


def test_a_policy_error_is_exit_2(opa, production):
    policy = production / "production.regate"
    policy.write_text(policy.read_text().replace("v.severity >= critical", "v.severty >= critical"))
    result = regate(production, cwd=production.parent)
    assert result.returncode == 2
    assert "error[E301]" in result.stderr


def test_coverage_with_a_failing_case_reports_the_case_and_the_coverage(opa, production):
    tests = production / "production_test.yaml"
    tests.write_text(tests.read_text().replace("counts: {exposed_ports: 1}", "counts: {exposed_ports: 5}"))
    result = regate(production, "--coverage", cwd=production.parent)
    assert result.returncode == 1, result.stdout + result.stderr
    line = _line_of(tests, "counts: {exposed_ports: 5}")
    assert f"production/production_test.yaml:{line}:31: counts.exposed_ports: expected 5, got 1" in result.stdout
    cases = len(json.loads(regate(production, "--format", "json", cwd=production.parent).stdout)["sets"][0]["cases"])
    assert f"% of policy lines (" in result.stdout and f"by the {cases - 1} passing cases" in result.stdout


def test_a_path_that_is_no_file_or_directory_and_an_oversized_test_file_are_errors(opa, production):
    (production / "fifo_test.yaml").unlink(missing_ok=True)
    os.mkfifo(production / "fifo_test.yaml")
    result = regate(production / "production.regate", production / "fifo_test.yaml", cwd=production.parent)
    assert result.returncode == 2 and "fifo_test.yaml: is neither a policy file nor a directory" in result.stderr
    (production / "fifo_test.yaml").unlink()
    (production / "production_test.yaml").write_text("#" * (5 * 2**20))
    result = regate(production, cwd=production.parent)
    assert result.returncode == 2
    assert "production_test.yaml:1:1: error[E601]: cannot read" in result.stderr and "limit for test files" in result.stderr


def test_an_image_case_is_read_with_syft_as_check_reads_it(opa, syft_bin, tmp_path):
    from support.images import build_image, write_docker_archive

    policy = tmp_path / "packages"
    shutil.copytree(EXAMPLES / "packages", policy)
    write_docker_archive(build_image(), policy / "inputs" / "image.tar")
    tests = policy / "packages_test.yaml"
    case = "cases:\n  - name: an image\n    input_file: inputs/image.tar\n    expect:\n      rules: {denied: %s}\n"
    # Without Syft the package rules would be UNAVAILABLE; `regate check` runs it, so `regate test` does.
    tests.write_text(case % "UNAVAILABLE")
    result = regate(policy, cwd=tmp_path)
    assert result.returncode == 1
    assert "rules.denied: expected UNAVAILABLE, got PASS" in result.stdout
    tests.write_text(case % "PASS")
    assert regate(policy, cwd=tmp_path).returncode == 0


def test_a_run_that_tests_nothing_is_not_a_pass(production, tmp_path):
    untested = tmp_path / "untested"
    untested.mkdir()
    shutil.copy(production / "production.regate", untested / "production.regate")
    shutil.copytree(production / "lists", untested / "lists")
    nothing = regate(str(untested))
    assert nothing.returncode == 2 and "no test cases found" in nothing.stderr
    unmatched = regate(str(production), "--run", "matches-no-case-name")
    assert unmatched.returncode == 2 and "no test case matches --run" in unmatched.stderr
