"""OPA started by regate's entry point before the command line is parsed (regate.early).

The entry point guesses from the arguments alone; the command takes the early run only when it
would have started that one itself. The opa_log wrapper tells an early run ("file": OPA read the
document from an anonymous file) from the usual evaluation ("serialised").
"""

from __future__ import annotations

import json
import subprocess
import sys

import click
import pytest

from engine.gatehelpers import EXAMPLES, regate, report
from engine.gatehelpers import isolated_cache  # noqa: F401  (autouse: a compile cache per test process)
from regate import early
from regate.cli.check import check_command, eval_command
from regate.early import BATCH_OPTIONS, SIMPLE_OPTIONS, SimpleForm, simple_form

PRODUCTION = EXAMPLES / "production"
VULNERABLE = PRODUCTION / "inputs" / "vulnerable.json"


@pytest.mark.parametrize("forms", [SIMPLE_OPTIONS, BATCH_OPTIONS], ids=["simple", "batch"])
@pytest.mark.parametrize("command", [check_command, eval_command], ids=lambda c: c.name)
def test_the_forms_options_are_the_commands_own(command, forms):
    takes_value = {name: not option.is_flag for option in command.params if isinstance(option, click.Option)
                   for name in option.opts}
    for name, value in forms[command.name].items():
        assert takes_value[name] == value, name


@pytest.mark.parametrize("argv, form", [
    (["check", "--policy", "p", "in.json"], SimpleForm(("p",), None, "in.json", 60.0)),
    (["check", "--policy=p", "--policy", "q", "in.json", "--format", "json", "-o", "r.json", "--output=s.json",
      "--fail-on", "warn", "--timeout", "5", "--explain"], SimpleForm(("p", "q"), None, "in.json", 5.0)),
    (["check", "--bundle", "b.tar.gz", "in.json"], SimpleForm((), "b.tar.gz", "in.json", 60.0)),
    (["eval", "--bundle", "b", "--input", "in.json", "--timeout=2.5"], SimpleForm((), "b", "in.json", 2.5)),
    # Anything else is no simple form: the command runs as it always did.
    ([], None),
    (["--version"], None),
    (["compile", "--policy", "p", "in.json"], None),
    (["check", "--policy", "p", "a.json", "b.json"], None),
    (["check", "--policy", "p", "--bundle", "b", "in.json"], None),
    (["check", "in.json"], None),
    (["check", "--policy", "p", "--now", "2026-01-01T00:00:00Z", "in.json"], None),
    (["check", "--policy", "p", "--engine", "cli", "in.json"], None),
    (["check", "--policy", "p", "--", "in.json"], None),
    (["check", "--policy", "p", "-or.json", "in.json"], None),
    (["check", "--policy", "p", "in.json", "--timeout", "0"], None),
    (["check", "--policy", "p", "in.json", "--timeout", "soon"], None),
    (["check", "--policy", "p", "in.json", "--explain=yes"], None),
    (["check", "in.json", "--policy"], None),
    (["eval", "--bundle", "b", "--input", "a.json", "--input", "b.json"], None),
])
def test_the_simple_form(argv, form):
    assert simple_form(argv) == form


def test_a_check_with_every_simple_option_uses_the_early_run(opa_log, tmp_path):
    env, log = opa_log
    usual = regate("check", "--policy", PRODUCTION, "--format", "json", VULNERABLE, VULNERABLE, env=env)  # compiles
    early_run = regate("check", f"--policy={PRODUCTION}", VULNERABLE, "--format", "json", "-o", tmp_path / "r.json",
                       "--fail-on", "warn", "--timeout", "30", env=env)
    assert log.read_text().split() == ["serialised", "serialised", "file"]
    assert early_run.returncode == usual.returncode == 1, early_run.stderr
    assert json.loads((tmp_path / "r.json").read_text())["results"][0]["decision"] == \
        report(usual)["results"][0]["decision"]


def test_a_check_of_another_form_starts_no_early_run(opa_log, tmp_path):
    env, log = opa_log
    regate("check", "--policy", PRODUCTION, VULNERABLE, env=env)  # compiles; the early run needs the cache
    log.write_text("")
    result = regate("check", "--policy", PRODUCTION, "--now", "2026-06-01T00:00:00Z", VULNERABLE, env=env)
    assert result.returncode == 1, result.stderr
    assert log.read_text().split() == ["serialised"]


def test_an_early_run_the_command_would_not_have_started_is_stopped_unread(bundle):
    early.speculate(["eval", "--bundle", str(bundle), "--input", str(VULNERABLE)])
    guessed = early._early
    assert guessed is not None
    assert early.take(bundle, str(VULNERABLE), 30.0) is None  # the command's timeout differs
    assert guessed.run._process.poll() is not None
    early.speculate(["eval", "--bundle", str(bundle), "--input", str(VULNERABLE)])
    assert early.take(bundle, None, 60.0) is None  # the command evaluates no file as it is
    early.speculate(["eval", "--bundle", str(bundle), "--input", str(VULNERABLE)])
    taken = early.take(bundle, str(VULNERABLE), 60.0)
    assert taken is not None
    taken.read(VULNERABLE)
    assert taken._run.finish().returncode == 0


def test_opa_starts_before_the_engine_orjson_or_dataclasses_are_imported(bundle):
    # Importing them took ~12 ms before OPA started, a tenth of what a 10,000-package check adds to OPA's run.
    probe = ("import sys\nfrom regate import early\n"
             f"early.speculate(['eval', '--bundle', {str(bundle)!r}, '--input', {str(VULNERABLE)!r}])\n"
             "loaded = sorted(m for m in ('orjson', 'dataclasses', 'regate.engine', 'regate.subjects', 'click') if m in sys.modules)\n"
             "started = early._early is not None and early._early.run._process.poll() is None\n"
             "early._early.run.cancel()\nprint(started, loaded)\n")
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=60)
    assert done.stdout.split(None, 1) == ["True", "[]\n"], done.stderr
