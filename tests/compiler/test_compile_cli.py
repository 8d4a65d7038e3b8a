"""`regate compile`, `lint` and `fmt` as a user runs them: exit codes, messages, no tracebacks."""

from __future__ import annotations

import json
import subprocess
import sys
import tarfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def regate(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess:
    result = subprocess.run([sys.executable, "-m", "regate", *args], capture_output=True, text=True, cwd=cwd)
    assert "Traceback" not in result.stderr, result.stderr
    return result


GOOD = 'policy "p" {\n  rule r warn {\n    when image.user == "root"\n    message "root"\n  }\n}\n'
BAD = 'policy "p" {\n  rule r warn {\n    for v in vulnerabilities where v.severty >= high\n    message "{v.idd}"\n  }\n}\n'


def test_compile_writes_a_bundle(tmp_path):
    (tmp_path / "p.regate").write_text(GOOD)
    result = regate("compile", str(tmp_path / "p.regate"), "-o", str(tmp_path / "out.tar.gz"))
    assert result.returncode == 0, result.stderr
    assert "1 policy, 1 rules" in result.stderr
    assert ".manifest" in tarfile.open(tmp_path / "out.tar.gz").getnames()


def test_compile_dir_format(tmp_path):
    (tmp_path / "p.regate").write_text(GOOD)
    result = regate("compile", str(tmp_path), "-o", str(tmp_path / "out"), "--format", "dir")
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "out" / "regate" / "policies" / "p" / "policy.rego").exists()


def test_errors_exit_2_with_every_location_and_write_nothing(tmp_path):
    (tmp_path / "p.regate").write_text(BAD)
    result = regate("compile", "p.regate", "-o", "out.tar.gz", cwd=tmp_path)
    assert result.returncode == 2
    assert "p.regate:3:38: error[E301]: unknown field \"severty\" of a vulnerability" in result.stderr
    assert "p.regate:4:17: error[E301]: unknown field \"idd\" of a vulnerability" in result.stderr
    assert 'hint: did you mean "severity"?' in result.stderr
    assert "2 errors" in result.stderr
    assert not (tmp_path / "out.tar.gz").exists()


def test_lint(tmp_path):
    (tmp_path / "good.regate").write_text(GOOD)
    assert regate("lint", str(tmp_path / "good.regate")).returncode == 0
    (tmp_path / "bad.regate").write_text(BAD)
    result = regate("lint", str(tmp_path / "bad.regate"), "--format", "json")
    assert result.returncode == 2
    assert '"code": "E301"' in result.stdout


def test_lint_prints_warnings_and_passes(tmp_path):
    (tmp_path / "p.regate").write_text(
        'policy "p" {\n  rule r stop {\n    for v in vulnerabilities where v.severity > critical\n    message "x"\n  }\n}\n')
    result = regate("lint", str(tmp_path / "p.regate"))
    assert result.returncode == 0
    assert "warning[W502]" in result.stderr


def test_today_controls_expiry_warnings(tmp_path):
    (tmp_path / "p.regate").write_text(
        'policy "p" {\n  rule r stop { when image.user == "x" message "x" }\n  allow r until 2026-03-01\n}\n')
    assert "W501" not in regate("lint", str(tmp_path), "--today", "2026-02-01").stderr
    assert "W501" in regate("lint", str(tmp_path), "--today", "2026-03-02").stderr
    bad = regate("lint", str(tmp_path), "--today", "March")
    assert bad.returncode == 2 and "--today" in bad.stderr


def test_missing_file_is_a_usage_error(tmp_path):
    result = regate("compile", str(tmp_path / "nope.regate"), "-o", "x")
    assert result.returncode == 2
    assert "does not exist" in result.stderr


def test_import_of_missing_file(tmp_path):
    (tmp_path / "p.regate").write_text('import "shared/common.regate"\n' + GOOD)
    result = regate("lint", "p.regate", cwd=tmp_path)
    assert result.returncode == 2
    assert "p.regate:1:1: error[E101]: file not found: shared/common.regate" in result.stderr


def test_fmt_check_and_write(tmp_path):
    messy = tmp_path / "p.regate"
    messy.write_text('policy "p" {  rule r warn { when image.user=="root"   message "root" }}\n')
    check = regate("fmt", "--check", str(messy))
    assert check.returncode == 1 and "not formatted" in check.stderr
    assert regate("fmt", str(messy)).returncode == 0
    assert messy.read_text() == GOOD
    assert regate("fmt", "--check", str(messy)).returncode == 0


def test_fmt_diff_prints_and_writes_nothing(tmp_path):
    messy = tmp_path / "p.regate"
    original = 'policy "p" {  rule r warn { when image.user=="root"   message "root" }}\n'
    messy.write_text(original)
    shown = regate("fmt", "--diff", str(messy))
    assert shown.returncode == 0
    assert '+  rule r warn {' in shown.stdout and "formatted" not in shown.stderr
    assert messy.read_text() == original
    checked = regate("fmt", "--diff", "--check", str(messy))
    assert checked.returncode == 1 and '+  rule r warn {' in checked.stdout
    assert messy.read_text() == original


def test_fmt_refuses_broken_files(tmp_path):
    (tmp_path / "p.regate").write_text('policy "p" {\n')
    original = (tmp_path / "p.regate").read_text()
    result = regate("fmt", str(tmp_path / "p.regate"))
    assert result.returncode == 2 and "E001" in result.stderr
    assert (tmp_path / "p.regate").read_text() == original


def test_absurdly_deep_nesting_is_an_error_not_a_crash(tmp_path):
    for name, condition in (("rule", "not " * 5000 + 'image.user == "x"'),
                            ("message", 'image.user == "x" message "{' + "not " * 5000 + 'true}"')):
        source = f'policy "p" {{ rule r warn {{ when {condition}' + (' message "m"' if name == "rule" else "") + " } }"
        (tmp_path / f"{name}.regate").write_text(source)
        result = regate("lint", str(tmp_path / f"{name}.regate"))
        assert result.returncode == 2 and "error[E006]: expression nested more than 200 levels deep" in result.stderr


def test_dir_output_through_a_symlink_replaces_the_bundle_it_points_at(tmp_path):
    (tmp_path / "p.regate").write_text(GOOD)
    assert regate("compile", "p.regate", "-o", "v1", "--format", "dir", cwd=tmp_path).returncode == 0
    (tmp_path / "current").symlink_to("v1")
    (tmp_path / "v1" / "stale.rego").write_text("package stale\n")
    result = regate("compile", "p.regate", "-o", "current", "--format", "dir", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "current").is_symlink() and (tmp_path / "current").readlink() == Path("v1")
    assert (tmp_path / "v1" / ".manifest").is_file() and not (tmp_path / "v1" / "stale.rego").exists()


def test_dir_output_refuses_what_is_not_a_bundle_directory(tmp_path):
    (tmp_path / "p.regate").write_text(GOOD)
    (tmp_path / "notes").mkdir()
    (tmp_path / "notes" / "keep.txt").write_text("keep")
    (tmp_path / "link").symlink_to("notes")
    (tmp_path / "file").write_text("keep")
    (tmp_path / "loop").symlink_to("loop")
    for target, says in [("link", "is not a bundle directory"), ("file", "is not a directory"),
                         ("loop", "cannot be followed"), ("missing/out", "directory missing does not exist")]:
        result = regate("compile", "p.regate", "-o", target, "--format", "dir", cwd=tmp_path)
        assert result.returncode == 2 and says in result.stderr, (target, result.stderr)
    assert (tmp_path / "notes" / "keep.txt").read_text() == "keep" and (tmp_path / "file").read_text() == "keep"


def test_an_origin_set_on_a_template_rule_lands_even_when_empty(tmp_path):
    """Found by the differential oracle (seed 7050): `origin ""` in a template rule's override fell
    back to the template's (none), while on a plain rule it landed."""
    (tmp_path / "p.regate").write_text(
        'template t() {\n  for p in packages where p.name == "x"\n  message "m"\n}\n'
        'policy "p" {\n  rule a stop from t() { origin "" }\n  rule b stop from t() { origin "anchore:x" }\n'
        '  rule c stop from t()\n  rule d stop {\n    origin ""\n    for p in packages where p.name == "y"\n'
        '    message "m"\n  }\n}\n')
    assert regate("compile", "p.regate", "-o", "b", "--format", "dir", cwd=tmp_path).returncode == 0
    rules = json.loads((tmp_path / "b" / "data.json").read_text())["regate"]["config"]["policies"]["p"]["rules"]
    assert {name: rule.get("origin") for name, rule in rules.items()} == {"a": "", "b": "anchore:x", "c": None, "d": ""}


def test_a_secret_in_a_file_a_policy_imports_is_not_shown_in_the_error(tmp_path):
    """A policy must not print the line of a credentials file on the runner: `import` reads policy files only."""
    secret = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
    (tmp_path / "credentials").write_text(f"aws_secret_access_key = {secret}\nAKIAIOSFODNN7EXAMPLE\n")
    (tmp_path / "p.regate").write_text('import "credentials"\n' + GOOD)
    result = regate("lint", "p.regate", cwd=tmp_path)
    assert result.returncode == 2, result.stderr
    assert "p.regate:1:1: error[E101]: only policy files (*.regate) can be imported, not credentials" in result.stderr
    assert secret not in result.stderr and "aws_secret_access_key" not in result.stderr
