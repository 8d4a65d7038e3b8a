"""`regate check` as a user calls it: what counts as one image, options,
reports written to files, and mistakes that must read as messages."""

from __future__ import annotations

import json
import shutil

import pytest

from engine.gatehelpers import EXAMPLES, NOW, ROOT, regate, report, write_json, write_policy
from engine.gatehelpers import isolated_cache  # noqa: F401  (autouse: a compile cache per test process)

PRODUCTION = EXAMPLES / "production"
INPUTS = PRODUCTION / "inputs"
REALWORLD = ROOT / "tests" / "fixtures" / "realworld"
SPDX = REALWORLD / "syft" / "guac_alpine-latest_syft-0.57.0_spdx-2.2.json"
CYCLONEDX = REALWORLD / "syft" / "guac_alpine-latest_syft-0.58.0_cyclonedx-1.4.json"
NGINX_CONFIG = REALWORLD / "image-config" / "anchore-engine_nginx-1.19.5_image_config.json"


def _check(*args, **kwargs):
    return regate("check", "--policy", PRODUCTION, "--format", "json", "--now", NOW, *args, **kwargs)


def _subjects(result) -> list[str]:
    return [r["subject"] for r in report(result)["results"]]


def test_analysis_files_together_describe_one_image():
    result = _check(SPDX, CYCLONEDX)
    assert result.returncode == 1, result.stderr
    [only] = report(result)["results"]
    assert only["subject"] == f"{SPDX} + {CYCLONEDX}"
    assert only["image"]["reference"] == "docker.io/library/alpine:latest"
    assert only["decision"]["final_reason"] == "denylisted"


def test_each_input_document_is_one_image_in_the_given_order():
    result = _check(INPUTS / "vulnerable.json", INPUTS / "clean.json", INPUTS / "vulnerable.json")
    assert [r["final_action"] for r in report(result)["results"]] == ["STOP", "GO", "STOP"]
    assert result.returncode == 1


def test_a_directory_holds_input_documents(tmp_path):
    shutil.copytree(INPUTS, tmp_path / "inputs")
    (tmp_path / "inputs" / "notes.txt").write_text("not an input")
    result = _check(tmp_path / "inputs")
    assert _subjects(result) == [str(tmp_path / "inputs" / "clean.json"), str(tmp_path / "inputs" / "vulnerable.json")]
    assert result.returncode == 1


def test_each_non_blank_line_of_a_json_lines_file_is_one_image(tmp_path):
    vulnerable, clean = (json.dumps(json.loads((INPUTS / name).read_text())).encode()
                         for name in ("vulnerable.json", "clean.json"))
    lines = tmp_path / "inputs.jsonl"
    # A byte-order mark, CRLF line ends, lines of whitespace only (space, tab, form feed, CR), no final newline.
    lines.write_bytes(b"\xef\xbb\xbf" + vulnerable + b"\r\n \t\r\n\x0c\n" + b"\n".join((clean, b"\r", vulnerable)))
    result = _check(lines)
    assert _subjects(result) == [f"{lines}:{n}" for n in (1, 4, 6)], result.stderr
    assert [r["final_action"] for r in report(result)["results"]] == ["STOP", "GO", "STOP"]
    for blank in (b"", b" \n\r\n\t\n"):
        lines.write_bytes(blank)
        refused = _check(lines)
        assert refused.returncode == 2 and "is a JSON-lines file with no input documents" in refused.stderr


def test_a_directory_with_something_else_is_refused(tmp_path):
    (tmp_path / "inputs").mkdir()
    shutil.copy(SPDX, tmp_path / "inputs" / "sbom.json")
    result = _check(tmp_path / "inputs")
    assert result.returncode == 2 and result.stdout == ""
    assert "is not a regate input document" in result.stderr
    (tmp_path / "empty").mkdir()
    assert "no input documents" in _check(tmp_path / "empty").stderr


def test_analysis_files_cannot_be_shared_by_several_images(tmp_path):
    result = _check("--image", "registry.example.com/a:1", "--image", "registry.example.com/b:1", SPDX)
    assert result.returncode == 2
    assert "describe one image, but 2 images are given" in result.stderr


@pytest.mark.parametrize("args, message", [
    (["./missing.json"], "no such file or directory"),
    ([], "nothing to check"),
    (["--now", "yesterday", "x.json"], "is not an RFC 3339 time"),
    (["--now", "2026-06-01", "x.json"], "is not an RFC 3339 time"),
    (["--engine", "cli", "--opa-url", "http://127.0.0.1:1", "x.json"], "cannot be combined with --engine cli"),
    (["--opa-url", "ftp://opa", "x.json"], "give the server's root URL"),
    (["--opa-url", "http://opa:8181/v1/data", "x.json"], "regate adds /v1/... itself"),
    (["--insecure", "x.json"], "need --opa-url"),
])
def test_usage_mistakes_are_messages(args, message, tmp_path):
    write_json(tmp_path / "x.json", json.loads((INPUTS / "clean.json").read_text()))
    result = regate("check", "--policy", PRODUCTION, *args, cwd=tmp_path)
    assert result.returncode == 2 and result.stdout == ""
    assert message in result.stderr


def test_a_dockerfile_gets_the_extractors_explanation():
    result = _check(REALWORLD / "dockerfiles" / "krol3-vuln-python-sample.Dockerfile")
    assert result.returncode == 2
    assert "looks like a Dockerfile" in result.stderr


def test_the_policy_is_required_without_a_server():
    result = regate("check", INPUTS / "clean.json")
    assert result.returncode == 2 and "--policy" in result.stderr


def test_policy_errors_are_diagnostics(tmp_path):
    policy = write_policy(tmp_path / "p", 'policy "p" {\n  rule r stop {\n    when image.usr == "root"\n    message "m"\n  }\n}\n')
    result = regate("check", "--policy", policy, INPUTS / "clean.json")
    assert result.returncode == 2 and result.stdout == ""
    assert "policy.regate:3:16: error[E301]" in result.stderr


def test_now_is_the_evaluation_time():
    def overdue(now: str) -> str:
        findings = report(regate("check", "--policy", PRODUCTION, "--format", "json", "--now", now,
                                 INPUTS / "vulnerable.json"))["results"][0]["decision"]["findings"]
        return next(f["message"] for f in findings if f["rule"] == "high_fix_overdue")

    assert overdue("2026-06-01T00:00:00Z") != overdue("2027-06-01T00:00:00+02:00")


def test_a_report_file_replaces_the_old_one_whole(tmp_path):
    out = tmp_path / "reports" / "regate.sarif"
    out.parent.mkdir()
    out.write_text("an old report")
    result = regate("check", "--policy", PRODUCTION, "--format", "sarif", "-o", out, INPUTS / "vulnerable.json")
    assert result.returncode == 1 and result.stdout == ""
    assert f"regate: STOP (1 image); sarif report written to {out}" in result.stderr
    assert json.loads(out.read_text())["version"] == "2.1.0"
    assert sorted(p.name for p in out.parent.iterdir()) == ["regate.sarif"]


def test_a_failed_run_writes_no_report(tmp_path):
    out = tmp_path / "report.json"
    out.write_text("previous")
    result = regate("check", "--policy", PRODUCTION, "--format", "json", "-o", out, tmp_path / "missing.json")
    assert result.returncode == 2
    assert out.read_text() == "previous"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["report.json"]


NEW_PORT = """policy "drift" {
  rule new_port warn {
    for c in changes where c.op == "add" and c.path glob "/image/exposed_ports/*"
    message "new port {c.path}"
  }
}
"""


def test_baseline_gives_extracted_images_their_changes(tmp_path):
    baseline = tmp_path / "baseline.json"
    assert regate("extract", NGINX_CONFIG, "-o", baseline).returncode == 0
    config = json.loads(NGINX_CONFIG.read_text())
    config["config"]["ExposedPorts"]["8443/tcp"] = {}
    current = write_json(tmp_path / "current-config.json", config)
    policy = write_policy(tmp_path / "policy", NEW_PORT)
    result = regate("check", "--policy", policy, "--format", "json", "--baseline", baseline, current)
    assert result.returncode == 0, result.stderr
    [finding] = report(result)["results"][0]["decision"]["findings"]
    assert finding["message"] == "new port /image/exposed_ports/8443~1tcp"
    prepared_only = regate("check", "--policy", policy, "--baseline", baseline, INPUTS / "clean.json")
    assert prepared_only.returncode == 2 and "prepared input documents already carry" in prepared_only.stderr


def test_push_needs_a_server():
    result = regate("push", "--policy", PRODUCTION)
    assert result.returncode == 2 and "give --opa-url" in result.stderr
