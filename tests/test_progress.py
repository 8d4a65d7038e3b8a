"""Progress shows on a terminal and nowhere else: not in CI logs, not when stderr is a file or a pipe."""

from __future__ import annotations

import os
import select
import subprocess
from pathlib import Path

import pytest

from engine.gatehelpers import isolated_cache  # noqa: F401  (autouse: a compile cache per test process)
from regate import progress

ROOT = Path(__file__).resolve().parents[1]
PRODUCTION = ROOT / "examples" / "production"
REGATE = str(ROOT / ".venv" / "bin" / "regate") if (ROOT / ".venv" / "bin" / "regate").exists() else "regate"


def check_with_stderr_on_a_terminal(env: dict) -> tuple[int, str]:
    """`regate check` of three prepared documents, stderr on a pseudo-terminal; (exit code, what it drew)."""
    inputs = sorted(str(p) for p in (PRODUCTION / "inputs").glob("*.json"))[:3]
    main, terminal = os.openpty()
    process = subprocess.Popen([REGATE, "check", "--policy", str(PRODUCTION), *inputs], stdout=subprocess.DEVNULL,
                               stderr=terminal, env={**os.environ, **env})
    os.close(terminal)
    drawn = b""
    while True:
        ready, _, _ = select.select([main], [], [], 60)
        if not ready:
            break
        try:
            chunk = os.read(main, 65536)
        except OSError:  # the terminal closed: regate ended
            break
        if not chunk:
            break
        drawn += chunk
    os.close(main)
    return process.wait(60), drawn.decode("utf-8", "replace")


def test_many_images_are_counted_on_a_terminal():
    code, drawn = check_with_stderr_on_a_terminal({"CI": "", "TERM": "xterm"})
    assert code in (0, 1)
    assert "regate: checking images" in drawn


@pytest.mark.parametrize("env", [{"CI": "true", "TERM": "xterm"}, {"CI": "", "TERM": "dumb"}])
def test_no_progress_in_ci_or_on_a_dumb_terminal(env):
    code, drawn = check_with_stderr_on_a_terminal(env)
    assert code in (0, 1)
    assert "checking images" not in drawn


def test_not_a_terminal_means_no_progress(tmp_path, monkeypatch):
    monkeypatch.delenv("CI", raising=False)
    with open(tmp_path / "log", "w") as log:
        assert not progress.on_terminal(log)
