"""Fail closed on what the gate cannot see (issue #8, section 2), end to end with
`regate check` through both engines: an image no mapping matches is an error
naming the image and the mappings tried unless the policy set declares what
such images get; a rule over data no source provided is reported unavailable,
never as a silent pass; `--require` turns missing data into exit 2.

Inputs are real: a docker-archive written without a tag (`docker save` of an
untagged image), Grype output (which carries no vulnerability dates) and a
Trivy filesystem report (which carries dates but no image reference)."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from engine.gatehelpers import NOW, ROOT, decisions, regate, write_policy
from engine.gatehelpers import isolated_cache  # noqa: F401  (autouse: a compile cache per test process)
from support.images import build_image, write_docker_archive

REALWORLD = ROOT / "tests" / "fixtures" / "realworld"
GRYPE = REALWORLD / "grype" / "defectdojo_busybox-1.32.1_grype-0.94.0_epss.json"
TRIVY_FS = REALWORLD / "trivy" / "defectdojo_fs_misconfig_secrets.json"

GATE = """
list denied = ["telnet", "netcat"]

policy "gate" {
  rule creds stop {
    for s in secrets where s.kind != ""
    message "{s.kind} in {s.path}"
  }
  rule denied_package stop {
    for p in packages where p.name in denied
    message "{p.name} is denied"
  }
  rule old_high warn {
    for v in vulnerabilities where v.severity >= high and days_since(v.published) > 30
    message "{v.id} has been public for {days_since(v.published)} days"
  }
}

mapping "prod" {
  images "registry.example.com/prod/*", "docker.io/library/busybox:*"
  policies "gate"
}
"""
TRIED = "mappings tried: prod (images registry.example.com/prod/*, docker.io/library/busybox:*)"


@pytest.fixture(scope="module")
def policy(tmp_path_factory) -> Path:
    return write_policy(tmp_path_factory.mktemp("gate"), GATE)


@pytest.fixture(scope="module")
def untagged(tmp_path_factory) -> Path:
    """An image with AWS keys and a private key, saved by id: no reference anywhere."""
    return write_docker_archive(replace(build_image(), tag=""), tmp_path_factory.mktemp("img") / "untagged.tar")


@pytest.fixture(params=["cli", "server"])
def check(request, policy):
    def run(*args, gate: Path = policy):
        return regate("check", "--policy", gate, "--now", NOW, "--engine", request.param, "--no-syft", *args)
    return run


def _unavailable(decision: dict) -> dict[str, list[str]]:
    return {u["rule"]: u["missing"] for u in decision["unavailable"]}


def test_an_untagged_image_matching_no_mapping_is_an_error_not_a_go(check, untagged):
    result = check("--format", "json", "--image", untagged)
    assert result.returncode == 2, result.stderr
    [decision] = decisions(result)
    assert (decision["final_action"], decision["final_reason"]) == ("STOP", "no_mapping")
    image_id = decision["image"]["id"]
    assert image_id.startswith("sha256:") and decision["image"]["reference"] == ""
    assert decision["errors"] == [f"no mapping matches image {image_id}; {TRIED}. "
                                  "Name the image (--name REF) or declare `unmatched go|warn|stop`"]
    assert decision["findings"] == [] and decision["policies"] == []


def test_name_gives_the_image_its_reference_and_the_gate_sees_the_keys(check, untagged):
    result = check("--format", "json", "--image", untagged, "--name", "registry.example.com/prod/app:1")
    assert result.returncode == 1, result.stderr
    [decision] = decisions(result)
    assert decision["image"]["reference"] == "registry.example.com/prod/app:1" and decision["mapping"] == "prod"
    assert {f["key"].split(":")[0] for f in decision["findings"] if f["rule"] == "creds"} >= {"aws-access-key",
                                                                                              "private-key"}
    # --no-syft: nobody listed the packages, and nothing scanned for vulnerabilities.
    assert decision["coverage"]["packages"]["sources"] == []
    assert decision["coverage"]["secrets"]["sources"] == [f"docker-archive:{untagged}"]
    assert _unavailable(decision) == {"denied_package": ["packages"], "old_high": ["vulnerabilities"]}
    assert decision["policies"][0]["unavailable"] == ["denied_package", "old_high"]


def test_require_turns_missing_data_into_exit_2(check, untagged):
    result = check("--format", "json", "--image", untagged, "--name", "registry.example.com/prod/app:1",
                   "--require", "secrets,packages")
    assert result.returncode == 2, result.stderr
    [decision] = decisions(result)
    assert (decision["final_action"], decision["final_reason"]) == ("STOP", "data_unavailable")
    assert decision["errors"] == ["required data is unavailable: no source provided packages"]


def test_require_of_data_that_is_there_passes(check):
    result = check("--format", "json", "--require", "vulnerabilities", GRYPE)
    assert result.returncode == 0, result.stderr
    assert decisions(result)[0]["errors"] == []


def test_an_age_rule_on_grype_output_is_unavailable_not_passed(check):
    result = check("--format", "json", GRYPE)
    assert result.returncode == 0, result.stderr
    [decision] = decisions(result)
    # Grype found high and critical vulnerabilities, but gives no publication dates.
    assert decision["coverage"]["vulnerabilities"]["absent_fields"] == ["first_seen", "modified", "published"]
    assert decision["findings"] == []
    assert _unavailable(decision) == {"creds": ["secrets"], "denied_package": ["packages"],
                                      "old_high": ["vulnerabilities.published"]}


def test_the_same_age_rule_runs_on_trivy_output_which_has_dates(check):
    unnamed = check("--format", "json", TRIVY_FS)
    assert unnamed.returncode == 2, unnamed.stderr
    assert "no mapping matches image without a reference, digest or id" in decisions(unnamed)[0]["errors"][0]
    result = check("--format", "json", "--name", "registry.example.com/prod/app:1", TRIVY_FS)
    [decision] = decisions(result)
    assert "old_high" not in _unavailable(decision)
    assert [f["rule"] for f in decision["findings"] if f["rule"] == "old_high"] == ["old_high"]


def test_a_declared_unmatched_action_applies(check, untagged, tmp_path):
    gate = write_policy(tmp_path / "warn", GATE + "\nunmatched warn\n")
    result = check("--format", "json", "--image", untagged, gate=gate)
    assert result.returncode == 0, result.stderr
    [decision] = decisions(result)
    assert (decision["final_action"], decision["final_reason"], decision["errors"]) == ("WARN", "no_mapping", [])


def test_name_cannot_rename_a_named_image_or_name_several(check, untagged):
    renamed = check("--name", "registry.example.com/prod/app:1", GRYPE)
    assert renamed.returncode == 2
    assert "the image is already named docker.io/library/busybox:1.32.1" in renamed.stderr
    several = check("--name", "registry.example.com/prod/app:1", "--image", untagged, "--image", untagged)
    assert several.returncode == 2 and "--name names one image, but 2 are given" in several.stderr
    bad = check("--name", "not a reference!", "--image", untagged)
    assert bad.returncode == 2 and "is not an image reference" in bad.stderr
    unknown = check("--require", "packages,sbom", GRYPE)
    assert unknown.returncode == 2 and "unknown kind of data 'sbom'" in unknown.stderr


UNAVAILABLE = "gate/old_high could not be evaluated: data unavailable (vulnerabilities.published)"
NO_DATA = "baseline, file_contents, files, misconfigurations, packages, secrets, users"
SHOWN = {
    "text": ("N/A   gate/old_high        data unavailable: vulnerabilities.published", f"no data: {NO_DATA}"),
    "json": ('"vulnerabilities.published"', '"packages": {\n'),
    "sarif": (UNAVAILABLE, f'"noData": "{NO_DATA}"'),
    "junit": (f'<skipped message="{UNAVAILABLE}"', f'<property name="no_data" value="{NO_DATA}"'),
    "github": (UNAVAILABLE, f"no source provided {NO_DATA}"),
    "markdown": (f"**data unavailable:** {UNAVAILABLE}", f"**no data:** {NO_DATA}"),
}


@pytest.mark.parametrize("fmt", sorted(SHOWN))
def test_every_report_format_shows_the_error_and_the_missing_data(fmt, policy, untagged, tmp_path):
    extracted = tmp_path / "grype-document.json"
    assert regate("extract", GRYPE, "-o", extracted).returncode == 0
    result = regate("check", "--policy", policy, "--now", NOW, "--no-syft", "--format", fmt,
                    "--image", untagged, extracted)
    assert result.returncode == 2, result.stderr
    assert "no mapping matches image sha256:" in result.stdout
    unavailable, no_data = SHOWN[fmt]
    assert unavailable in result.stdout
    assert no_data in result.stdout
