"""`regate import anchore` on real bundles: whole bundles and modular parts import, the output is
`regate fmt`-canonical, compiles and passes `opa check --strict`; what cannot be imported is a
located error, or with --allow-partial a warning and a LEFT OUT comment."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest

from regate.bundle import write_directory
from regate.compile import compile_policies
from regate.diagnostics import render_all
from regate.formatter import format_source
from regate.importers.anchore import ImportProblems, import_anchore

FIXTURES = Path(__file__).parents[1] / "fixtures"
BUNDLES = FIXTURES / "realworld" / "anchore-bundles"
MODULAR = FIXTURES / "anchore" / "modular"
# Rules of the functional test bundle regate cannot import, and why (the bundle sets every rule's
# parameters to placeholders, one of them a regex Python and RE2 both reject).
ALL_RULES_LEFT_OUT = 11


def _import(paths, tmp_path: Path, allow_partial: bool = False):
    imported = import_anchore(paths, allow_partial)
    source = tmp_path / "policy"
    source.mkdir(exist_ok=True)
    (source / imported.filename).write_text(imported.text, encoding="utf-8")
    return imported, source


@pytest.mark.parametrize("bundle", sorted(BUNDLES.glob("*.json")), ids=lambda p: p.stem[:40])
def test_real_bundles_import_compile_and_pass_strict_checks(bundle, opa, tmp_path):
    partial = "all-rules" in bundle.name
    imported, source = _import([bundle], tmp_path, allow_partial=partial)
    assert imported.left_out == (ALL_RULES_LEFT_OUT if partial else 0)
    assert format_source(imported.filename, imported.text) == imported.text
    assert import_anchore([bundle], allow_partial=partial).text == imported.text  # deterministic
    compiled = compile_policies([source], date(2026, 1, 1))
    write_directory(compiled, tmp_path / "out")
    result = opa.run("check", "--strict", str(tmp_path / "out"))
    assert result.returncode == 0, result.stderr
    config = json.loads(compiled.files["data.json"])["regate"]["config"]
    origins = [r["origin"] for p in config["policies"].values() for r in p["rules"].values()]
    source_rules = json.loads(bundle.read_text())["policies"]
    assert sorted(o.rsplit(":", 1)[1] for o in origins) == sorted(
        r["id"] for p in source_rules for r in p["rules"] if f"LEFT OUT: Anchore rule {r['id']}" not in imported.text)


def test_every_rule_comment_names_its_anchore_rule():
    bundle = BUNDLES / "custom__custom.json"
    imported = import_anchore([bundle])
    for policy in json.loads(bundle.read_text())["policies"]:
        for rule in policy["rules"]:
            assert f"# Anchore rule {rule['id']}: {rule['gate']}/{rule['trigger']}" in imported.text


def test_modular_parts_import_as_the_whole_bundle():
    whole = import_anchore([BUNDLES / "anchore_engine__conf__bundles__anchore_default_bundle.json"])
    parts = import_anchore([MODULAR / "template.json", MODULAR / "default_policy.json",
                            MODULAR / "default_whitelist.json", MODULAR / "default_mapping.json"])
    body = lambda text: text.split("\n", 1)[1]  # the first line names the files imported
    assert body(parts.text) == body(whole.text)


def test_a_part_alone_imports_as_its_own_bundle(tmp_path):
    imported, source = _import([MODULAR / "default_policy.json"], tmp_path)
    assert imported.imported == 6 and "mapping" not in imported.text
    compile_policies([source], date(2026, 1, 1))


def test_a_stub_no_part_fills_is_an_error():
    with pytest.raises(Exception) as found:
        import_anchore([MODULAR / "template.json", MODULAR / "default_policy.json"])
    assert "48e6f7d6" not in str(found.value) and "37fd763e-1765-11e8-add4-3b16c029ac5c" in str(found.value)


def test_untranslatable_rules_are_located_errors_naming_the_rule():
    bundle = BUNDLES / "tests__functional__artifacts__bundle-with-all-rules-2020-08-20.json"
    with pytest.raises(ImportProblems) as found:
        import_anchore([bundle])
    rendered = render_all(found.value.diagnostics, found.value.sources)
    assert f"{bundle}:100:11: error[I101]: rule 7d6602c9-9a84-43da-94a7-c2c2b6d4434b (files/name_match)" in rendered
    assert '100 |           "id": "7d6602c9-9a84-43da-94a7-c2c2b6d4434b",' in rendered
    assert "npms/newer_version_in_feed compares packages with Anchore's npms feed" in rendered
    assert len(found.value.diagnostics) == ALL_RULES_LEFT_OUT


def _cli(*args, cwd=None):
    return subprocess.run([sys.executable, "-m", "regate", *map(str, args)], capture_output=True, text=True, cwd=cwd)


def test_cli_refuses_without_allow_partial_and_writes_nothing(tmp_path):
    bundle = BUNDLES / "tests__functional__artifacts__bundle-with-all-rules-2020-08-20.json"
    result = _cli("import", "anchore", bundle, "-o", tmp_path / "out")
    assert result.returncode == 2
    assert "error[I101]" in result.stderr and "Traceback" not in result.stderr
    assert not (tmp_path / "out").exists()


def test_cli_allow_partial_marks_what_was_left_out(tmp_path):
    bundle = BUNDLES / "tests__functional__artifacts__bundle-with-all-rules-2020-08-20.json"
    result = _cli("import", "anchore", "--allow-partial", bundle, "-o", tmp_path / "out")
    assert result.returncode == 0, result.stderr
    assert "warning[I101]" in result.stderr
    written = (tmp_path / "out" / "allrulebundle.regate").read_text()
    assert written.count("# LEFT OUT: Anchore rule ") == ALL_RULES_LEFT_OUT
    assert "# LEFT OUT: Anchore rule 5bacaf1c-38b2-4ed4-9027-557fcfdd9fec npms/version_not_in_feeds" in written
    assert "27 rules imported, 11 left out" in result.stderr


def test_cli_input_errors_name_the_file_and_place(tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text('{"policies": [{"id": "p", "rules": [{"id": "r", "gate": "always", "trigger": "always", "action": "MAYBE"}]}]}')
    result = _cli("import", "anchore", bad, "-o", tmp_path / "out")
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert f"{bad} at /policies/0/rules/0/action: rule r: action 'MAYBE' is not STOP, WARN or GO" in result.stderr


def test_extract_points_an_anchore_bundle_at_the_importer():
    result = _cli("extract", BUNDLES / "custom__custom.json")
    assert result.returncode == 2
    assert "regate import anchore" in result.stderr


EXAMPLE = Path(__file__).parents[2] / "examples" / "anchore-default"


@pytest.mark.parametrize("document", sorted((EXAMPLE / "inputs").glob("*.json")), ids=lambda p: p.stem)
def test_the_imported_default_bundle_reaches_the_hand_translations_verdicts(document, tmp_path):
    """examples/anchore-default translates the default bundle by hand, reading the image config where
    the bundle reads the Dockerfile; the import reads the Dockerfile as Anchore does. Same verdicts, same
    vulnerability findings."""
    imported, source = _import([BUNDLES / "anchore_engine__conf__bundles__anchore_default_bundle.json"], tmp_path)
    reports = []
    for policy in (EXAMPLE / "anchore-default.regate", source / imported.filename):
        result = _cli("check", "--policy", policy, document, "--format", "json")
        assert result.returncode in (0, 1), result.stderr
        reports.append(json.loads(result.stdout)["results"][0]["decision"])
    hand, imported_decision = reports
    assert imported_decision["final_action"] == hand["final_action"]
    vulnerabilities = lambda d: sorted((f["key"], f["action"]) for f in d["findings"] if "+" in f["key"])
    assert vulnerabilities(imported_decision) == vulnerabilities(hand)
