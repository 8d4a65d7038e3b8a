"""Bundles: reproducible bytes, a manifest OPA understands, modules OPA accepts."""

from __future__ import annotations

import json
import tarfile
from datetime import date
from pathlib import Path

import pytest

from regate.bundle import write_bundle, write_directory
from regate.compile import compile_policies
from regate.errors import UserError

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = sorted(p for p in (ROOT / "examples").iterdir() if p.is_dir())
GOLDEN = sorted(p / "policy" for p in (Path(__file__).parent / "golden" / "rego").iterdir() if p.is_dir())
TODAY = date(2026, 1, 1)


def _members(path: Path) -> dict[str, bytes]:
    with tarfile.open(path) as tar:
        return {m.name: tar.extractfile(m).read() for m in tar.getmembers()}


def test_same_sources_give_byte_identical_bundles(tmp_path, monkeypatch):
    first, second = tmp_path / "a.tar.gz", tmp_path / "b.tar.gz"
    write_bundle(compile_policies([EXAMPLES[0]], TODAY), first)
    # A different working directory and a later clock must not change a byte.
    monkeypatch.chdir(tmp_path)
    write_bundle(compile_policies([EXAMPLES[0]], date(2026, 6, 1)), second)
    assert first.read_bytes() == second.read_bytes()


def test_manifest(tmp_path):
    out = tmp_path / "b.tar.gz"
    revision = write_bundle(compile_policies([EXAMPLES[0]], TODAY), out)
    members = _members(out)
    manifest = json.loads(members[".manifest"])
    assert manifest["revision"] == revision and len(revision) == 64
    assert manifest["roots"] == ["regate"]
    assert manifest["rego_version"] == 1
    assert "data.json" in members
    assert any(n.startswith("regate/lib/") for n in members)
    assert not any(n.endswith("_test.rego") for n in members), "library tests stay out of bundles"
    headers = tarfile.open(out).getmembers()
    assert {(m.mtime, m.uid, m.gid, m.uname) for m in headers} == {(0, 0, 0, "")}


def test_revision_follows_content(tmp_path):
    source = tmp_path / "p.regate"
    source.write_text('policy "p" { rule r warn { when image.user == "a" message "m" } }')
    first = write_bundle(compile_policies([source], TODAY), tmp_path / "1.tar.gz")
    source.write_text('policy "p" { rule r warn { when image.user == "b" message "m" } }')
    second = write_bundle(compile_policies([source], TODAY), tmp_path / "2.tar.gz")
    assert first != second


@pytest.mark.parametrize("policies", EXAMPLES + GOLDEN, ids=lambda p: p.parent.name if p.name == "policy" else p.name)
def test_generated_modules_pass_opa_check_strict_and_fmt(policies, opa, tmp_path):
    bundle = tmp_path / "bundle"
    write_directory(compile_policies([policies], TODAY), bundle)
    check = opa.run("check", "--strict", "-b", str(bundle))
    assert check.returncode == 0, check.stdout + check.stderr
    fmt = opa.run("fmt", "--list", str(bundle))
    assert fmt.returncode == 0 and fmt.stdout == "", f"not opa fmt clean: {fmt.stdout}"


def test_opa_loads_the_tarball_and_reads_metadata(opa, tmp_path):
    out = tmp_path / "b.tar.gz"
    write_bundle(compile_policies([EXAMPLES[0]], TODAY), out)
    inspected = opa.run("inspect", "--annotations", "--format", "json", str(out))
    assert inspected.returncode == 0, inspected.stderr
    annotations = json.loads(inspected.stdout)["annotations"]
    custom = [a["annotations"].get("custom", {}) for a in annotations]
    assert any(c.get("id") and c.get("action") and c.get("source") for c in custom)
    evaluated = opa.run("eval", "-b", str(out), "--format", "json", "data.regate.decision.main.final_action",
                        input_text=json.dumps({"schema_version": 1}))
    assert evaluated.returncode == 0, evaluated.stderr


def test_directory_output_replaces_only_bundles(tmp_path):
    out = tmp_path / "out"
    compiled = compile_policies([EXAMPLES[0]], TODAY)
    write_directory(compiled, out)
    (out / "regate" / "stale.rego").write_text("package stale\n")
    write_directory(compiled, out)
    assert not (out / "regate" / "stale.rego").exists()
    elsewhere = tmp_path / "precious"
    elsewhere.mkdir()
    (elsewhere / "notes.txt").write_text("keep me")
    with pytest.raises(UserError):
        write_directory(compiled, elsewhere)
    assert (elsewhere / "notes.txt").read_text() == "keep me"


def _library(compiled) -> set[str]:
    return {name.split("/")[1] if name.startswith("regate/testing/") else name.split("/")[2]
            for name in compiled.files if name.startswith(("regate/lib/", "regate/testing/"))}


def test_bundles_ship_only_the_library_their_rules_use(tmp_path):
    (tmp_path / "plain.regate").write_text(
        'policy "p" {\n  rule denied stop {\n    for p in packages where p.name == "telnet"\n'
        '    message "{p.name} is denied"\n  }\n}\n')
    plain = compile_policies([tmp_path / "plain.regate"], TODAY)
    assert "version" not in _library(plain) and "testing" not in _library(plain)
    assert {"clock", "coverage", "images", "text"} <= _library(plain)  # the decision's and the message's

    (tmp_path / "versions.regate").write_text(
        'policy "v" {\n  rule old warn {\n    for p in packages where p.version < "2.0"\n'
        '    message "{p.name} is old"\n  }\n}\n')
    versions = compile_policies([tmp_path / "versions.regate"], TODAY)
    assert "version" in _library(versions)
    assert sum(n.startswith("regate/lib/version/") for n in versions.files) > 1  # the whole package

    tested = compile_policies([tmp_path / "plain.regate"], TODAY, library=("regate.testing",))
    assert "testing" in _library(tested)
