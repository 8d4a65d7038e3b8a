"""The baselines people have, through `regate check` and `regate extract`: an extracted document, a
previous JSON report, an image archive, an http(s) URL; what the Markdown report says changed."""

from __future__ import annotations

import functools
import http.server
import json
import threading
from pathlib import Path

import pytest

from support.components import ROOT
from support.images import GOOD, build_image, write_docker_archive
from test_cli import assert_user_error, regate

POLICY = ROOT / "examples" / "drift" / "drift.regate"


@pytest.fixture(scope="module")
def archives(tmp_path_factory, opa):
    folder = tmp_path_factory.mktemp("baselines")
    approved = write_docker_archive(build_image(GOOD, tag="regate-test/base:1"), folder / "approved.tar")
    ssh = build_image(GOOD, tag="regate-test/base:2")
    ssh.config["ExposedPorts"]["22/tcp"] = {}
    candidate = write_docker_archive(ssh, folder / "candidate.tar")
    return folder, approved, candidate


def check(*args: str) -> tuple[int, dict]:
    done = regate("check", "--no-syft", "--policy", str(POLICY), "--format", "json", *args)
    assert "Traceback" not in done.stderr, done.stderr
    return done.returncode, json.loads(done.stdout) if done.stdout else {}


def new_ports(report: dict) -> list[str]:
    return [f["key"] for f in report["results"][0]["decision"]["findings"] if f["rule"] == "new_exposed_port"]


def test_an_image_archive_is_extracted_as_the_baseline(archives):
    _, approved, candidate = archives
    code, report = check("--baseline", str(approved), str(candidate))
    assert (code, new_ports(report)) == (1, ["22/tcp"])
    assert report["results"][0]["input"]["drift"]["image.exposed_ports:22/tcp"]["op"] == "added"


def test_a_previous_json_report_is_a_baseline(archives, tmp_path):
    """Build N's report, as regate wrote it, is build N+1's baseline: the report embeds the document it
    evaluated, as the compact JSON OPA was given."""
    _, approved, candidate = archives
    code, _ = check("-o", str(tmp_path / "report.json"), str(approved))
    assert code == 0
    assert b'\n      "input": {"schema_version":1,' in (tmp_path / "report.json").read_bytes()
    code, report = check("--baseline", str(tmp_path / "report.json"), str(candidate))
    assert (code, new_ports(report)) == (1, ["22/tcp"])
    assert report["results"][0]["input"]["baseline"]["reference"] == "docker.io/regate-test/base:1"


def test_a_report_of_several_images_is_refused(archives, tmp_path):
    _, approved, candidate = archives
    _, both = check(str(approved), str(candidate))
    (tmp_path / "both.json").write_text(json.dumps(both))
    done = regate("check", "--no-syft", "--policy", str(POLICY), "--baseline", str(tmp_path / "both.json"), str(candidate))
    assert_user_error(done, "regate check report of 2 images")


def test_a_document_served_over_http_is_a_baseline(archives, tmp_path):
    folder, approved, candidate = archives
    done = regate("extract", "--no-syft", "--image", str(approved), "-o", str(tmp_path / "approved.json"))
    assert done.returncode == 0, done.stderr
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(tmp_path))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}"
        code, report = check("--baseline", f"{url}/approved.json", str(candidate))
        assert (code, new_ports(report)) == (1, ["22/tcp"])
        done = regate("check", "--no-syft", "--policy", str(POLICY), "--baseline", f"{url}/missing.json", str(candidate))
        assert_user_error(done, "the server answered 404")
    finally:
        server.shutdown()


def test_extract_takes_the_same_baselines(archives):
    _, approved, candidate = archives
    done = regate("extract", "--no-syft", "--image", str(candidate), "--baseline", str(approved))
    assert done.returncode == 0, done.stderr
    document = json.loads(done.stdout)
    assert list(document["drift"]) == ["image.exposed_ports:22/tcp"]
    assert [c["path"] for c in document["changes"]] == ["/image/exposed_ports/22~1tcp"]


def test_the_markdown_report_says_what_changed(archives):
    _, approved, candidate = archives
    done = regate("check", "--no-syft", "--policy", str(POLICY), "--format", "markdown", "--baseline", str(approved),
                  str(candidate))
    assert done.returncode == 1, done.stderr
    assert "what changed against docker.io/regate-test/base:1: 1 change</summary>" in done.stdout
    assert "| added | image.exposed_ports | 22/tcp |  |  |  |" in done.stdout
    same = regate("check", "--no-syft", "--policy", str(POLICY), "--format", "markdown", "--baseline", str(approved),
                  str(approved))
    assert "0 changes</summary>" in same.stdout and "Nothing: the compared fields are those of the baseline." in same.stdout


def test_no_what_changed_section_without_a_baseline(archives):
    _, approved, _ = archives
    done = regate("check", "--no-syft", "--policy", str(POLICY), "--format", "markdown", str(approved))
    assert "what changed" not in done.stdout


def test_without_a_baseline_drift_rules_are_unavailable_never_passed(archives):
    _, approved, _ = archives
    code, report = check(str(approved))
    decision = report["results"][0]["decision"]
    unavailable = {entry["rule"]: entry["missing"] for entry in decision["unavailable"]}
    assert unavailable["new_vulnerability"] == ["baseline", "vulnerabilities"]  # no scan either: --no-syft, no report
    assert unavailable["new_exposed_port"] == unavailable["became_setuid"] == ["baseline"]
    done = regate("check", "--no-syft", "--policy", str(POLICY), "--require", "baseline", str(approved))
    assert done.returncode == 2 and "baseline" in done.stdout + done.stderr


def test_a_missing_baseline_names_itself(archives, tmp_path):
    _, _, candidate = archives
    missing = str(tmp_path / "approved.tar")
    done = regate("check", "--no-syft", "--policy", str(POLICY), "--baseline", missing, str(candidate))
    assert_user_error(done, f"{missing}: no such file or directory (--baseline)")


def test_a_mapping_names_the_baseline_of_the_images_it_matches(archives, tmp_path):
    """`baseline "approved.json"` beside the policy: the image the mapping matches is compared with it;
    an image another mapping matches is not."""
    _, approved, candidate = archives
    policies = tmp_path / "policies"
    (policies / "approved").mkdir(parents=True)
    done = regate("extract", "--no-syft", "--image", str(approved), "-o", str(policies / "approved" / "base.json"))
    assert done.returncode == 0, done.stderr
    (policies / "drift.regate").write_text(POLICY.read_text())
    (policies / "mappings.regate").write_text(
        'mapping "base" {\n  images "docker.io/regate-test/base:*"\n  policies "drift"\n  baseline "approved/base.json"\n}\n\n'
        'mapping "others" {\n  images "*"\n  policies "drift"\n}\n')
    done = regate("fmt", "--check", str(policies / "mappings.regate"))
    assert done.returncode == 0, done.stdout + done.stderr
    code, report = check_with(policies, str(candidate))
    assert (code, new_ports(report)) == (1, ["22/tcp"])
    assert report["results"][0]["decision"]["mapping"] == "base"
    # --baseline given on the command line wins over the mapping's.
    code, report = check_with(policies, "--baseline", str(candidate), str(candidate))
    assert (code, new_ports(report)) == (0, [])


def test_a_mapping_baseline_that_is_missing_is_an_error(archives, tmp_path):
    _, _, candidate = archives
    (tmp_path / "drift.regate").write_text(POLICY.read_text() + '\nmapping "all" {\n  images "*"\n  policies "drift"\n'
                                           '  baseline "approved/none.json"\n}\n')
    done = regate("check", "--no-syft", "--policy", str(tmp_path), str(candidate))
    assert_user_error(done, "approved/none.json: no such file or directory (--baseline)")


def check_with(policies: Path, *args: str) -> tuple[int, dict]:
    done = regate("check", "--no-syft", "--policy", str(policies), "--format", "json", *args)
    assert "Traceback" not in done.stderr, done.stderr
    return done.returncode, json.loads(done.stdout)
