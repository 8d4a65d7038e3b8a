"""The `regate` command line: a thin layer mapping results to exit codes.

Exit codes: 0 success / pass, 1 policy failed (STOP) or a test failed, 2
everything else: a user error (bad policy, bad input, engine failure), an
interrupted run, a closed output, or a bug in regate. CI reads 1 as "the
policy said no", so nothing that is not a verdict may exit 1. Subcommands live
in their own modules and are imported only when invoked.
"""

from __future__ import annotations

import atexit
import importlib
import os
import sys
import threading
from typing import NoReturn

import click

from .. import __version__
from ..collector import spare_exit, tune_for_documents
from ..early import discard
from ..engine.decision import EXIT_ERROR
from ..errors import UserError, one_line

COMMANDS = {
    "compile": "regate.cli.compile:compile_command",
    "lint": "regate.cli.compile:lint_command",
    "fmt": "regate.cli.compile:fmt_command",
    "schema": "regate.cli.extract:schema_command",
    "extract": "regate.cli.extract:extract_command",
    "check": "regate.cli.check:check_command",
    "eval": "regate.cli.check:eval_command",
    "diff": "regate.cli.diff:diff_command",
    "push": "regate.cli.check:push_command",
    "test": "regate.cli.test:test_command",
    "publish": "regate.cli.fleet:publish_command",
    "opa-config": "regate.cli.fleet:opa_config_command",
    "import": "regate.cli.importer:import_group",
}


class OutputClosed(Exception):
    """Whoever read regate's output stopped reading before it was all written."""


class LazyGroup(click.Group):
    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except BrokenPipeError:
            # click would swallow it and exit 1, which CI reads as a failed policy.
            raise OutputClosed() from None

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(COMMANDS)

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        target = COMMANDS.get(name)
        if target is None:
            return None
        module, attr = target.split(":")
        return getattr(importlib.import_module(module), attr)


def _print_version(ctx: click.Context, _param: click.Parameter, value: bool) -> None:
    """regate's version and the OPA it would evaluate with: a bug report needs both."""
    if not value or ctx.resilient_parsing:
        return
    from ..opa import OpaNotFound, find_opa

    click.echo(f"regate {__version__}")
    try:
        opa = find_opa()
        click.echo(f"opa {opa.version} ({opa.path})")
    except OpaNotFound as exc:
        click.echo(f"opa: {exc}")
    ctx.exit(0)


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--version", is_flag=True, expose_value=False, is_eager=True, callback=_print_version,
              help="Show regate's version and the OPA it uses, then exit.")
def cli() -> None:
    """Policy-as-code for container images, compiled to Rego and evaluated by OPA."""


# Set (to anything but "" or "0") to see the traceback of an internal error.
DEBUG_VARIABLE = "REGATE_DEBUG"


def main() -> None:
    try:
        _command()
    except SystemExit as done:
        _leave(done.code)
    _leave(0)


def _command() -> None:
    tune_for_documents()
    try:
        cli.main(standalone_mode=False)
    except click.exceptions.Exit as done:
        sys.exit(done.exit_code)
    except click.ClickException as exc:
        exc.show()
        sys.exit(EXIT_ERROR)
    except (click.exceptions.Abort, KeyboardInterrupt):
        _say("regate: aborted")
        sys.exit(EXIT_ERROR)
    except UserError as exc:
        _say(f"regate: error: {exc}")
        sys.exit(exc.exit_code)
    except OutputClosed:
        # The report is incomplete, which is no verdict. Later writes to the closed pipe
        # (Python's own flush at exit, which would otherwise exit 120) go nowhere.
        try:
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        except (OSError, ValueError):
            pass
        _say("regate: error: the output was closed before regate finished writing it (broken pipe)")
        sys.exit(EXIT_ERROR)
    except Exception as exc:  # a bug in regate: still an error, never a verdict
        if os.environ.get(DEBUG_VARIABLE, "") not in ("", "0"):
            import traceback

            traceback.print_exc()
        message = one_line(str(exc))
        _say(f"regate: internal error: {type(exc).__name__}{': ' + message if message else ''} "
             f"(a bug in regate; {DEBUG_VARIABLE}=1 shows the traceback)")
        sys.exit(EXIT_ERROR)
    finally:  # however the command ends: regate exits next
        discard()
        spare_exit()


def _leave(code: int | str | None) -> NoReturn:
    """Exit with `code`. Python's own exit frees every object still alive one by one (after a
    10,000-package check its document, decision and report: 10-25 ms once the report is
    written); when nothing needs that teardown (the output flushed, no other thread, no atexit
    handler), the process ends at once instead."""
    if code is None or isinstance(code, int):
        try:
            for stream in (sys.stdout, sys.stderr):
                if stream is not None:  # None: the descriptor was closed when Python started
                    stream.flush()
        except (OSError, ValueError):  # a closed output: Python's exit deals with it, as before
            pass
        else:
            # atexit's count is CPython's own: elsewhere, assume handlers.
            if threading.active_count() == 1 and getattr(atexit, "_ncallbacks", lambda: 1)() == 0:
                os._exit(code or 0)
    sys.exit(code)


def _say(line: str) -> None:
    """One line on stderr, with anything that looks like a secret masked; stderr may be closed too."""
    from ..extract.secrets import masker

    # A message may quote what it rejects (a URL, an argument), and that may hold a credential.
    try:
        click.echo(masker(config=True)(line), err=True)
    except OSError:
        pass

