"""`regate extract` and `regate schema` as a user runs them: exit codes, messages, files written."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from corpus_helpers import corpus, raw
from regate.resources import input_schema

SBOM = corpus("syft/kubevuln_alpine-3.17.2_syft-1.32.0_schema16.0.39.json")
GRYPE = corpus("grype/defectdojo_busybox-1.32.1_grype-0.94.0_epss.json")


def regate(*args: str, cwd=None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-c", "from regate.cli import main; main()", *args],
        capture_output=True, text=True, cwd=cwd, timeout=120,
    )


def assert_user_error(done: subprocess.CompletedProcess, words: str) -> None:
    assert done.returncode == 2, done.stderr
    assert done.stderr.startswith("regate: error: ") and done.stderr.count("\n") == 1, done.stderr
    assert words in done.stderr and "Traceback" not in done.stderr
    assert done.stdout == ""


def test_extract_to_standard_output():
    done = regate("extract", str(SBOM))
    assert done.returncode == 0, done.stderr
    document = json.loads(done.stdout)
    assert len(document["packages"]) == 15
    assert document["sources"] == [{"tool": "syft", "version": "1.32.0", "format": "syft-json", "path": str(SBOM)}]
    assert done.stdout == json.dumps(document, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def test_extract_to_a_file_replaces_it_whole(tmp_path):
    out = tmp_path / "input.json"
    out.write_text("old contents")
    done = regate("extract", str(SBOM), "-o", str(out))
    assert done.returncode == 0 and done.stdout == "", done.stderr
    assert json.loads(out.read_text())["sources"][0]["format"] == "syft-json"
    assert [p.name for p in tmp_path.iterdir()] == ["input.json"]  # no temporary file left behind
    assert out.read_text() == regate("extract", str(SBOM)).stdout


def test_output_into_a_missing_directory(tmp_path):
    assert_user_error(regate("extract", str(SBOM), "-o", str(tmp_path / "nope" / "x.json")), "does not exist")


def test_unknown_format(tmp_path):
    path = tmp_path / "thing.json"
    path.write_text(json.dumps({"hello": "world"}))
    done = regate("extract", str(path))
    assert_user_error(done, f"{path}: a JSON object with keys hello is not a format regate knows; accepted formats: ")
    assert "Syft JSON" in done.stderr and "Trivy JSON" in done.stderr


@pytest.mark.parametrize("text, words", [
    ("[" * 100_000, "nested deeper than"),
    ('{"matches": [', "invalid JSON at line 1 column 14"),
    ('<?xml version="1.0"?><bom/>', "looks like XML"),
])
def test_broken_inputs_are_one_line_errors(tmp_path, text, words):
    path = tmp_path / "input"
    path.write_text(text)
    assert_user_error(regate("extract", str(path)), words)


def test_a_dockerfile_is_refused_in_two_lines_naming_the_option_for_it(tmp_path):
    path = tmp_path / "input"
    path.write_text("FROM debian:12\nRUN true\n")
    done = regate("extract", str(path))
    assert done.returncode == 2 and done.stdout == "" and "Traceback" not in done.stderr
    first, second, _ = done.stderr.split("\n")
    assert first == f"regate: error: {path}: looks like a Dockerfile: build instructions, not image analysis"
    assert "--dockerfile FILE" in second


def test_facts_about_two_images(tmp_path):
    assert_user_error(regate("extract", str(SBOM), str(GRYPE)), "cannot be merged")


def test_nothing_to_extract():
    assert_user_error(regate("extract"), "nothing to extract")


def test_content_paths_must_be_absolute():
    assert_user_error(regate("extract", str(SBOM), "--content", "etc/shadow"), "give an absolute path")


def test_missing_file(tmp_path):
    assert_user_error(regate("extract", str(tmp_path / "missing.json")), "no such file or directory")


def test_baseline(tmp_path):
    base = tmp_path / "base.json"
    assert regate("extract", str(SBOM), "-o", str(base)).returncode == 0
    sbom = raw("syft/kubevuln_alpine-3.17.2_syft-1.32.0_schema16.0.39.json")
    sbom["artifacts"] = [a for a in sbom["artifacts"] if a["name"] != "zlib"]
    (tmp_path / "sbom.json").write_text(json.dumps(sbom))
    done = regate("extract", str(tmp_path / "sbom.json"), "--baseline", str(base))
    document = json.loads(done.stdout)
    assert document["changes"] == [{"op": "remove", "path": "/packages/apk:zlib@1.2.13-r0"}]
    assert document["baseline"]["id"] == sbom["source"]["metadata"]["imageID"]


def test_baseline_that_is_not_a_regate_document():
    assert_user_error(regate("extract", str(SBOM), "--baseline", str(GRYPE)), "is not a regate input document")


def test_warnings_go_to_standard_error(tmp_path):
    bom = raw("syft/guac_alpine-latest_syft-0.58.0_cyclonedx-1.4.json")
    bom["specVersion"] = "1.2"
    (tmp_path / "bom.json").write_text(json.dumps(bom))
    done = regate("extract", str(tmp_path / "bom.json"))
    assert done.returncode == 0
    assert "regate: warning: " in done.stderr and "CycloneDX 1.2 is outside" in done.stderr
    assert json.loads(done.stdout)["packages"]


def test_schema_command_prints_the_schema():
    done = regate("schema")
    assert done.returncode == 0
    assert json.loads(done.stdout) == input_schema()


def test_platform_chooses_one_image_of_a_multi_platform_input():
    index = corpus("ko/guac_ko-0.12.0_index-amd64-arm64_spdx-2.2.json")
    assert_user_error(regate("extract", str(index)), "linux/amd64, linux/arm64")
    done = regate("extract", "--platform", "linux/arm64", str(index))
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["image"]["architecture"] == "arm64"
    assert "lists 3 images as packages" in done.stderr


@pytest.mark.parametrize("platform", ["linux", "linux/", "a/b/c/d"])
def test_platform_of_the_wrong_shape(platform):
    assert_user_error(regate("extract", "--platform", platform, str(SBOM)), "expected os/arch[/variant]")


def test_platform_other_than_the_inputs(tmp_path):
    assert_user_error(regate("extract", "--platform", "linux/s390x", str(SBOM)), "describes platform linux/amd64")


def test_check_reads_one_platform_of_a_multi_platform_input():
    index = str(corpus("ko/guac_ko-0.12.0_index-amd64-arm64_spdx-2.2.json"))
    policy = "examples/anchore-default/anchore-default.regate"
    assert_user_error(regate("check", "--policy", policy, "--format", "json", index), "choose one with --platform")
    done = regate("check", "--policy", policy, "--format", "json", "--platform", "linux/arm64", index)
    assert done.returncode == 0, done.stderr
    [result] = json.loads(done.stdout)["results"]
    arm64 = next(ref["referenceLocator"] for p in raw("ko/guac_ko-0.12.0_index-amd64-arm64_spdx-2.2.json")["packages"]
                 for ref in p["externalRefs"] if "arch=arm64" in ref["referenceLocator"])
    assert result["image"]["digest"] == arm64.split("@")[1].split("?")[0]
