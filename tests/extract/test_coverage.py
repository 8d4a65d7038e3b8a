"""The `coverage` section: which data a document has and from which source,
on real scanner output and a real image archive. An empty collection must say
whether a tool looked and found nothing or nobody looked."""

from __future__ import annotations

import json
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import pytest

from regate.extract.base import ExtractOptions
from regate.extract.coverage import DATA_KINDS, UNFILLED
from regate.extract.document import build_document
from regate.extract.registry import extract_path
from regate.resources import input_schema
from support.images import build_image, write_docker_archive

REALWORLD = Path(__file__).resolve().parents[1] / "fixtures" / "realworld"
GRYPE = REALWORLD / "grype" / "defectdojo_busybox-1.32.1_grype-0.94.0_epss.json"
TRIVY_FS = REALWORLD / "trivy" / "defectdojo_fs_misconfig_secrets.json"
SYFT = REALWORLD / "syft" / "kubevuln_alpine-3.17.2_syft-1.32.0_schema16.0.39.json"
NO_SYFT = ExtractOptions(run_syft=False)


def _coverage(*paths: Path, baseline: dict | None = None) -> dict:
    return build_document([extract_path(p, NO_SYFT) for p in paths], baseline)["coverage"]


def _provided(coverage: dict) -> dict[str, list[str]]:
    return {kind: [s.split(":", 1)[0] for s in entry["sources"]] for kind, entry in coverage.items() if entry["sources"]}


def test_every_kind_is_stated_even_when_nothing_provided_it():
    coverage = _coverage(GRYPE)
    assert list(coverage) == list(DATA_KINDS)
    assert coverage["secrets"] == {"sources": []}


def test_grype_provides_vulnerabilities_without_dates_and_not_the_package_list():
    document = build_document([extract_path(GRYPE, NO_SYFT)])
    # Grype lists the packages it matched, which is not every package of the image.
    assert document["packages"] and document["coverage"]["packages"] == {"sources": []}
    assert document["coverage"]["vulnerabilities"] == {"sources": [f"grype-json:{GRYPE}"],
                                                       "absent_fields": ["first_seen", "modified", "published"]}


def test_trivy_gives_dates_but_no_exploit_data():
    assert _coverage(TRIVY_FS)["vulnerabilities"]["absent_fields"] == ["epss", "first_seen", "kev", "risk"]


GRYPE_DB5 = REALWORLD / "grype" / "kubevuln_alpine-3.17.2_grype_index-digest.json"
GRYPE_0_7 = REALWORLD / "grype" / "defectdojo_python-3.6_grype-0.7.0_1509matches.json"


@pytest.mark.parametrize("path", [GRYPE_DB5, GRYPE_0_7], ids=["grype-0.73-db-v5", "grype-0.7"])
def test_grype_before_its_v6_database_has_no_exploit_data(path):
    """EPSS, KEV and risk came with Grype's v6 database: an older report's silence on
    them is unknown, so rules reading them are data-unavailable, not a pass."""
    assert _coverage(path)["vulnerabilities"]["absent_fields"] == ["epss", "first_seen", "kev", "modified", "published",
                                                                   "risk"]


def test_a_trivy_run_without_the_vulnerability_scanner_gives_no_vulnerability_data(tmp_path):
    # The secret results of a real `trivy fs` report, as `trivy fs --scanners secret` writes them.
    report = json.loads(TRIVY_FS.read_text())
    report["Results"] = [r for r in report["Results"] if r.get("Class") == "secret"]
    secrets_only = tmp_path / "trivy-secrets.json"
    secrets_only.write_text(json.dumps(report))
    extraction = extract_path(secrets_only, NO_SYFT)
    coverage = build_document([extraction])["coverage"]
    assert _provided(coverage) == {"secrets": ["trivy-json"]}
    # The file's name is said once, by whatever shows the warning (`regate: warning: FILE: ...`).
    assert any(w.startswith("no vulnerability scan results") for w in extraction.warnings)


def test_a_field_is_absent_only_when_no_source_fills_it():
    coverage = _coverage(GRYPE, TRIVY_FS)
    assert sorted(_provided(coverage)["vulnerabilities"]) == ["grype-json", "trivy-json"]
    # Only first_seen, which comes from a baseline and no scanner.
    assert coverage["vulnerabilities"]["absent_fields"] == ["first_seen"]


def test_trivy_filesystem_report_provides_what_it_lists():
    assert _provided(_coverage(TRIVY_FS)) == {"packages": ["trivy-json"], "vulnerabilities": ["trivy-json"],
                                              "secrets": ["trivy-json"], "misconfigurations": ["trivy-json"]}


def test_an_sbom_provides_packages_but_not_the_filesystem():
    provided = _provided(_coverage(SYFT))
    assert provided["packages"] == ["syft-json"]
    assert "files" not in provided and "vulnerabilities" not in provided


def test_an_image_read_without_syft_has_no_packages(tmp_path):
    archive = write_docker_archive(replace(build_image(), tag=""), tmp_path / "image.tar")
    coverage = _coverage(archive)
    assert _provided(coverage) == {kind: ["docker-archive"] for kind in
                                   ("files", "file_contents", "secrets", "users", "image_config", "content_search")}
    assert coverage["packages"] == {"sources": []}
    # Optional kinds no source provided are left out, not listed empty: older documents lack them too.
    assert "package_verification" not in coverage and "malware" not in coverage


def test_a_baseline_provides_the_changes(tmp_path):
    first = build_document([extract_path(GRYPE, NO_SYFT)])
    assert _coverage(GRYPE)["baseline"] == {"sources": []}
    assert _coverage(GRYPE, baseline=first)["baseline"] == {"sources": ["baseline"]}


@pytest.mark.parametrize("fmt", sorted(UNFILLED))
def test_unfilled_fields_are_the_ones_the_schema_marks_partial(fmt):
    defs = input_schema()["$defs"]
    item_of = {"vulnerabilities": "vulnerability", "packages": "package", "files": "file"}
    for kind, fields in UNFILLED[fmt].items():
        properties = defs[item_of[kind]]["properties"]
        assert all(properties[name].get("x-regate-partial") for name in fields), (fmt, kind, fields)


def test_extract_name_gives_an_unnamed_report_its_reference(tmp_path):
    out = tmp_path / "doc.json"
    done = subprocess.run([sys.executable, "-m", "regate", "extract", "--name", "registry.example.com/team/app:2",
                           str(TRIVY_FS), "-o", str(out)], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    image = json.loads(out.read_text())["image"]
    assert {k: image[k] for k in ("reference", "registry", "repository", "tag")} == {
        "reference": "registry.example.com/team/app:2", "registry": "registry.example.com",
        "repository": "team/app", "tag": "2"}
