"""What a person typing `regate` expects of a command line: -h, a version that names
the OPA in use, and shell completion as docs/cli.md describes it."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from regate.opa import find_opa

REGATE = shutil.which("regate") or str(Path(__file__).resolve().parents[1] / ".venv" / "bin" / "regate")


def regate(*args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([REGATE, *args], capture_output=True, text=True, timeout=60,
                          env={**os.environ, **(env or {})})


@pytest.mark.parametrize("argv", [[], ["check"], ["compile"], ["fmt"], ["extract"], ["test"]])
def test_dash_h_is_help(argv):
    short, long = regate(*argv, "-h"), regate(*argv, "--help")
    assert short.returncode == 0 and short.stdout == long.stdout and "Usage: regate" in short.stdout


def test_version_names_the_opa_in_use():
    result = regate("--version")
    opa = find_opa()
    assert result.returncode == 0
    assert result.stdout.splitlines()[:2] == [f"regate {__import__('regate').__version__}",
                                              f"opa {opa.version} ({opa.path})"]


def test_version_says_when_no_opa_is_found_and_still_prints_regates(tmp_path):
    result = regate("--version", env={"REGATE_OPA": str(tmp_path / "no-opa")})
    assert result.returncode == 0
    assert result.stdout.startswith("regate ") and "opa: cannot run OPA at" in result.stdout


@pytest.mark.parametrize("words,cword,expected", [
    ("regate ch", 1, "plain,check"),
    ("regate check --fail", 2, "plain,--fail-on"),
    ("regate fm", 1, "plain,fmt"),
])
def test_shell_completion_as_documented(words, cword, expected):
    result = regate(env={"_REGATE_COMPLETE": "bash_complete", "COMP_WORDS": words, "COMP_CWORD": str(cword)})
    assert expected in result.stdout.splitlines()


def test_completion_scripts_are_generated_for_each_documented_shell():
    documented = (Path(__file__).resolve().parents[1] / "docs" / "cli.md").read_text()
    for shell in ("bash", "zsh", "fish"):
        assert f"_REGATE_COMPLETE={shell}_source regate" in documented
        script = regate(env={"_REGATE_COMPLETE": f"{shell}_source"})
        assert script.returncode == 0 and "_REGATE_COMPLETE" in script.stdout
