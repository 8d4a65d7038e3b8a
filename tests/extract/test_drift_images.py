"""Drift on real images: crafted archives read by regate and Syft, a Grype report of the candidate,
compared with the approved image; each change is one record and one patch operation, a rule of
examples/drift fires on each (real `opa`), and an identical rebuild is no change."""

from __future__ import annotations

import copy
import json
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import jsonpointer
import pytest

from support import images
from support.components import FIXTURES, ROOT
from support.images import GOOD, LayerSpec, build_image, d, f, with_layers, write_docker_archive

from regate.extract.base import ExtractOptions
from regate.extract.document import build_document
from regate.extract.drift import VOLATILE_FIELDS
from regate.extract.registry import extract_json, extract_path

DRIFT_POLICY = ROOT / "examples" / "drift" / "drift.regate"
# A real Grype 0.94 report (tests/fixtures/realworld/grype, see its PROVENANCE.md); its first match,
# CVE-2022-28391 (high), is re-pointed at the busybox package the candidate image installs.
GRYPE = FIXTURES / "realworld" / "grype" / "defectdojo_busybox-1.32.1_grype-0.94.0_epss.json"
APPROVED_BUSYBOX, CANDIDATE_BUSYBOX = "1:1.36.1-6", "1:1.35.0-4"
OPTIONS = ExtractOptions(run_syft=True)


def dpkg_layer(busybox: str) -> LayerSpec:
    status = (f"Package: busybox\nStatus: install ok installed\nPriority: optional\nSection: utils\n"
              f"Installed-Size: 2000\nMaintainer: Debian Busybox Team <busybox@packages.debian.org>\n"
              f"Architecture: amd64\nVersion: {busybox}\nDescription: Tiny utilities for small and embedded systems\n")
    return LayerSpec("RUN apt-get install -y busybox # buildkit",
                     (d("/var/lib"), d("/var/lib/dpkg"), f("/var/lib/dpkg/status", status)))


def approved_spec():
    return with_layers(build_image(GOOD, tag="regate-test/drift:1"), dpkg_layer(APPROVED_BUSYBOX))


def candidate_spec():
    """The approved image with one of each drift: passwd becomes setuid and a new setuid helper
    ships, a second uid-0 user, planted credentials, 22/tcp exposed, busybox downgraded."""
    traits = replace(GOOD, setuid=True, uid0_alias=True, secrets=True, ssh_port=True)
    helper = LayerSpec("COPY helper /usr/local/bin/ # buildkit",
                       (d("/usr/local"), d("/usr/local/bin"), f("/usr/local/bin/helper", b"\x7fELF helper", 0o4755)))
    return with_layers(build_image(traits, tag="regate-test/drift:2"), dpkg_layer(CANDIDATE_BUSYBOX), helper)


def grype_report(image_id: str, busybox: str | None) -> dict:
    """The real report, about `image_id`, matching CVE-2022-28391 in deb busybox `busybox` (none: no match)."""
    report = json.loads(GRYPE.read_text())
    report["source"] = {"type": "image", "target": {"userInput": "regate-test/drift", "imageID": image_id}}
    report["distro"] = {"name": "debian", "version": "12", "idLike": []}
    match = report["matches"][0]
    match["artifact"].update(name="busybox", version=busybox or "", type="deb", purl=f"pkg:deb/debian/busybox@{busybox}",
                             locations=[{"path": "/var/lib/dpkg/status"}], cpes=[])
    report["matches"] = [match] if busybox else []
    return report


def document(archive: Path, grype: dict, baseline: dict | None = None) -> dict:
    return build_document([extract_path(archive, OPTIONS), extract_json(grype, "grype.json")], baseline)


def image_id(archive: Path) -> str:
    return extract_path(archive, ExtractOptions(run_syft=False)).facts["image"]["id"]


@pytest.fixture(scope="module")
def drifted(tmp_path_factory, syft_bin, opa):
    folder = tmp_path_factory.mktemp("drift")
    approved = write_docker_archive(approved_spec(), folder / "approved.tar")
    candidate = write_docker_archive(candidate_spec(), folder / "candidate.tar")
    baseline = document(approved, grype_report(image_id(approved), None))
    grype = grype_report(image_id(candidate), CANDIDATE_BUSYBOX)
    (folder / "grype.json").write_text(json.dumps(grype))
    (folder / "baseline.json").write_text(json.dumps(baseline))
    return folder, baseline, document(candidate, grype, baseline)


BUSYBOX = f"deb:busybox@{CANDIDATE_BUSYBOX}"
# (record key, op, field, before, after): one of each change the issue names.
EXPECTED = [
    ("files:/usr/local/bin/helper", "added", None, None, None),
    ("files:/usr/bin/passwd:setuid", "changed", "setuid", False, True),
    ("users:toor", "added", None, None, None),
    ("secrets:github-token:/app/.env:1", "added", None, None, None),
    (f"packages:{BUSYBOX}:version", "downgraded", "version", APPROVED_BUSYBOX, CANDIDATE_BUSYBOX),
    ("image.exposed_ports:22/tcp", "added", None, None, None),
    (f"vulnerabilities:CVE-2022-28391+{BUSYBOX}", "added", None, None, None),
]
# The patch operation each change is, as (op, JSON Pointer).
PATCHED = [
    ("add", "/files/~1usr~1local~1bin~1helper"),
    ("replace", "/files/~1usr~1bin~1passwd/setuid"),
    ("add", "/users/toor"),
    ("add", "/secrets/github-token:~1app~1.env:1"),
    ("add", f"/packages/{BUSYBOX}"),
    ("add", "/image/exposed_ports/22~1tcp"),
    ("add", f"/vulnerabilities/CVE-2022-28391+{BUSYBOX}"),
]


@pytest.mark.parametrize("key, op, field, before, after", EXPECTED, ids=[e[0] for e in EXPECTED])
def test_each_change_is_one_record(drifted, key, op, field, before, after):
    _, _, current = drifted
    record = current["drift"][key]
    assert (record["op"], record.get("field")) == (op, field)
    if field is not None:
        assert (record["before"], record["after"]) == (before, after)
    else:
        assert "before" not in record
    assert sum(1 for r in current["drift"].values() if r["key"] == key) == 1


def test_the_records_say_what_a_rule_needs(drifted):
    _, _, current = drifted
    drift = current["drift"]
    assert drift["users:toor"]["after"]["uid"] == 0
    assert drift["files:/usr/local/bin/helper"]["after"]["setuid"] is True
    assert drift["image.exposed_ports:22/tcp"]["after"] == {"port": 22, "protocol": "tcp", "spec": "22/tcp"}
    assert drift[f"vulnerabilities:CVE-2022-28391+{BUSYBOX}"]["after"]["severity"] == "high"
    secret = drift["secrets:github-token:/app/.env:1"]["after"]
    assert images.GITHUB_TOKEN not in json.dumps(current) and secret["match"].endswith("*")
    # The downgrade is one record, not a removal and an addition.
    assert not [k for k in drift if k.startswith("packages:deb:busybox@") and not k.endswith(":version")]


@pytest.mark.parametrize("op, pointer", PATCHED, ids=[p[1] for p in PATCHED])
def test_each_change_is_in_the_patch_once(drifted, op, pointer):
    _, _, current = drifted
    assert [c["op"] for c in current["changes"] if c["path"] == pointer] == [op]
    if op in ("add", "replace"):
        value = next(c["value"] for c in current["changes"] if c["path"] == pointer)
        target = jsonpointer.resolve_pointer(current, pointer)
        volatile = VOLATILE_FIELDS.get(pointer.split("/")[1], frozenset())
        assert value == ({k: v for k, v in target.items() if k not in volatile} if isinstance(target, dict) else target)


def test_first_seen_of_an_introduced_vulnerability_is_this_scan(drifted):
    _, _, current = drifted
    scanned = next(s["scanned"] for s in current["sources"] if s.get("scanned"))
    assert current["vulnerabilities"][f"CVE-2022-28391+{BUSYBOX}"]["first_seen"] == scanned


def test_a_rule_fires_on_each_change(drifted):
    """`regate check` of the candidate archive and its Grype report against the approved document."""
    folder, _, _ = drifted
    proc = subprocess.run(
        [sys.executable, "-m", "regate", "check", "--policy", str(DRIFT_POLICY), "--baseline", str(folder / "baseline.json"),
         "--format", "json", "--now", "2026-06-01T00:00:00Z", str(folder / "candidate.tar"), str(folder / "grype.json")],
        capture_output=True, text=True, cwd=ROOT, timeout=600)
    assert proc.returncode == 1, proc.stderr
    report = json.loads(proc.stdout)
    findings = {(f["rule"], f["key"]) for f in report["results"][0]["decision"]["findings"]}
    assert {
        ("new_setuid_file", "/usr/local/bin/helper"),
        ("became_setuid", "files:/usr/bin/passwd:setuid"),
        ("new_root_user", "toor"),
        ("new_secret", "secrets:github-token:/app/.env:1"),
        ("package_downgraded", f"packages:{BUSYBOX}:version"),
        ("new_exposed_port", "22/tcp"),
        ("new_vulnerability", f"CVE-2022-28391+{BUSYBOX}"),
    } <= findings
    assert images.GITHUB_TOKEN not in proc.stdout
    # The report embeds the document it evaluated: the next build's baseline.
    assert report["results"][0]["input"]["drift"]


def test_an_identical_rebuild_is_no_change(drifted, tmp_path, monkeypatch):
    """Same Dockerfile, same base, built later: new mtimes, layer digests, image id and creation time."""
    _, baseline, _ = drifted
    monkeypatch.setattr(images, "EPOCH", images.EPOCH + 86_400)
    monkeypatch.setattr(images, "CREATED", "2024-01-02T00:00:00Z")
    rebuilt = write_docker_archive(approved_spec(), tmp_path / "rebuilt.tar")
    current = document(rebuilt, grype_report(image_id(rebuilt), None), baseline)
    assert current["image"]["id"] != baseline["image"]["id"]
    assert [l["digest"] for l in current["image"]["layers"]] != [l["digest"] for l in baseline["image"]["layers"]]
    assert (current["changes"], current["drift"]) == ([], {})


def test_a_new_only_gate_passes_an_identical_rebuild_of_a_vulnerable_image(drifted, tmp_path):
    """Old debt is not new: the candidate checked against itself fires no drift rule."""
    folder, _, current = drifted
    again = copy.deepcopy(current)
    (tmp_path / "self.json").write_text(json.dumps(again))
    proc = subprocess.run(
        [sys.executable, "-m", "regate", "check", "--policy", str(DRIFT_POLICY), "--baseline", str(tmp_path / "self.json"),
         "--format", "json", str(folder / "candidate.tar"), str(folder / "grype.json")],
        capture_output=True, text=True, cwd=ROOT, timeout=600)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    decision = json.loads(proc.stdout)["results"][0]["decision"]
    assert [f for f in decision["findings"] if f["effective_action"] != "GO"] == []
