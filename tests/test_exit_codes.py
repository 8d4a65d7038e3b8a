"""Exit 1 means "the policy said no" to CI, so only a verdict (or a failed
policy test) may exit 1; everything else is exit 2 with one line on stderr:
a bug in regate, an interrupted run, a report nobody read to the end."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PRODUCTION = ROOT / "examples" / "production"
VULNERABLE = PRODUCTION / "inputs" / "vulnerable.json"

# A `regate` whose command `boom` fails the way a bug does: an exception regate does not expect.
# The message carries an AWS key id, as a message built from input data could.
BUGGY = """
import click
import regate.cli as cli

@click.command("boom")
def boom():
    raise RuntimeError("cannot index   AKIAIOSFODNN7EXAMPLE\\n  in the layer")

cli.LazyGroup.get_command = lambda self, ctx, name: boom
cli.main()
"""


def _buggy(env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", BUGGY, "boom"], capture_output=True, text=True,
                          env={**os.environ, **(env or {})}, timeout=60)


def test_a_bug_is_exit_2_with_one_line():
    result = _buggy({"REGATE_DEBUG": ""})
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert result.stderr.count("\n") == 1, result.stderr
    assert result.stderr.startswith("regate: internal error: RuntimeError: cannot index AKIA")
    assert "in the layer (a bug in regate; REGATE_DEBUG=1 shows the traceback)" in result.stderr
    assert "AKIAIOSFODNN7EXAMPLE" not in result.stderr


def test_regate_debug_adds_the_traceback_and_still_exits_2():
    result = _buggy({"REGATE_DEBUG": "1"})
    assert result.returncode == 2
    assert "Traceback (most recent call last)" in result.stderr
    assert "regate: internal error: RuntimeError" in result.stderr.splitlines()[-1]


@pytest.mark.parametrize("fmt", ["text", "json"])
def test_a_report_nobody_reads_to_the_end_is_exit_2_not_a_verdict(fmt, opa, tmp_path):
    # A STOP verdict would be exit 1; the reader closing the pipe makes the report incomplete: exit 2.
    process = subprocess.Popen([sys.executable, "-m", "regate", "check", "--policy", str(PRODUCTION), "--format", fmt,
                                str(VULNERABLE)], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               env={**os.environ, "REGATE_CACHE_DIR": str(tmp_path)})
    process.stdout.close()
    stderr = process.stderr.read().decode()
    assert process.wait(120) == 2, stderr
    assert stderr.splitlines()[-1] == "regate: error: the output was closed before regate finished writing it (broken pipe)"
    assert "Traceback" not in stderr and "Exception ignored" not in stderr


@pytest.mark.parametrize("redirect", [">&-", "2>&- >/dev/null"])
@pytest.mark.parametrize("image, verdict", [(VULNERABLE, 1), (PRODUCTION / "inputs" / "clean.json", 0)])
def test_a_closed_standard_stream_leaves_the_verdict_as_it_is(redirect, image, verdict, opa, tmp_path):
    """`regate check ... >&-` (or `2>&-`): Python starts without that stream; the exit code is still the verdict."""
    done = subprocess.run(["/bin/bash", "-c", f'"$0" -m regate check --policy "$1" "$2" {redirect}',
                           sys.executable, str(PRODUCTION), str(image)],
                          capture_output=True, text=True, timeout=120, env={**os.environ, "REGATE_CACHE_DIR": str(tmp_path)})
    assert done.returncode == verdict, done.stderr
    assert "error" not in done.stderr and "Traceback" not in done.stderr


@pytest.mark.parametrize("behaviour, expected", [
    ("echo '[1, 2]'", "opa test returned something other than an array of objects: [1, 2]"),
    ("echo 'opa: out of memory' >&2; exit 1", "opa test failed: opa: out of memory"),
    ("sleep 30", "opa test did not finish within 1 s (--timeout)"),
])
def test_regate_test_with_a_broken_opa_is_exit_2(behaviour, expected, tmp_path):
    # Exit 1 would say a policy test failed; none ran.
    opa = tmp_path / "opa"
    opa.write_text(f'#!/bin/sh\nif [ "$1" = version ]; then echo "Version: 1.22.3"; exit 0; fi\n{behaviour}\n')
    opa.chmod(0o755)
    result = subprocess.run([sys.executable, "-m", "regate", "test", "--timeout", "1", str(PRODUCTION)],
                            capture_output=True, text=True, env={**os.environ, "REGATE_OPA": str(opa)}, timeout=120)
    assert result.returncode == 2, result.stdout + result.stderr
    assert result.stderr.strip() == f"regate: error: {expected}"


# A `regate` that notes whether Python tore the interpreter down at exit (an object in sys.modules is
# freed then), with an atexit handler or a thread still running when asked to.
PROBED = """
import os, sys, threading

class Probe:
    def __del__(self):
        os.write(2, b"torn down\\n")

sys.modules["teardown-probe"] = Probe()
extra = sys.argv.pop(1)
if extra == "atexit":
    import atexit
    atexit.register(lambda: os.write(2, b"atexit handler ran\\n"))
if extra == "thread":
    # Still running when regate is done, however slow the machine: it waits for the main thread.
    threading.Thread(target=lambda: (threading.main_thread().join(), os.write(2, b"thread finished\\n"))).start()
import regate.cli
regate.cli.main()
"""


@pytest.mark.parametrize("extra, noted", [
    ("nothing", []),  # the report written and flushed, regate ends at once
    ("atexit", ["atexit handler ran", "torn down"]),
    ("thread", ["thread finished", "torn down"]),
])
def test_regate_ends_at_once_when_nothing_needs_pythons_teardown(extra, noted, opa, tmp_path):
    check = ["check", "--policy", str(PRODUCTION), "--format", "json", str(VULNERABLE)]
    env = {**os.environ, "REGATE_CACHE_DIR": str(tmp_path)}
    # A compile leaves an atexit handler behind: the check that fills the cache exits as Python does.
    assert subprocess.run([sys.executable, "-m", "regate", *check], capture_output=True, env=env, timeout=120).returncode == 1
    result = subprocess.run([sys.executable, "-c", PROBED, extra, *check], capture_output=True, text=True, env=env,
                            timeout=120)
    assert result.returncode == 1, result.stderr
    assert json.loads(result.stdout)["verdict"] == "STOP"  # all of it, flushed
    assert result.stderr.splitlines() == noted
