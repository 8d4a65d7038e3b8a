"""The `regate` command line: a thin layer mapping results to exit codes.

Exit codes: 0 success / pass, 1 policy failed (STOP) or a test failed,
2 user error (bad policy, bad input, engine failure). Subcommands live in
their own modules and are imported only when invoked.
"""

from __future__ import annotations

import importlib
import sys

import click

from .. import __version__
from ..errors import UserError

COMMANDS = {
    "compile": "regate.cli.compile:compile_command",
    "lint": "regate.cli.compile:lint_command",
    "fmt": "regate.cli.compile:fmt_command",
    "schema": "regate.cli.extract:schema_command",
    "extract": "regate.cli.extract:extract_command",
    "check": "regate.cli.check:check_command",
    "eval": "regate.cli.check:eval_command",
    "push": "regate.cli.check:push_command",
    "test": "regate.cli.test:test_command",
}


class LazyGroup(click.Group):
    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(COMMANDS)

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        target = COMMANDS.get(name)
        if target is None:
            return None
        module, attr = target.split(":")
        return getattr(importlib.import_module(module), attr)


@click.group(cls=LazyGroup)
@click.version_option(__version__, prog_name="regate")
def cli() -> None:
    """Policy-as-code for container images, compiled to Rego and evaluated by OPA."""


def main() -> None:
    try:
        cli.main(standalone_mode=False)
    except click.exceptions.Exit as done:
        sys.exit(done.exit_code)
    except click.ClickException as exc:
        exc.show()
        sys.exit(2)
    except click.exceptions.Abort:
        click.echo("aborted", err=True)
        sys.exit(2)
    except UserError as exc:
        from ..extract.secrets import masker

        # A message may quote what it rejects (a URL, an argument), and that may hold a credential.
        click.echo(f"regate: error: {masker(config=True)(str(exc))}", err=True)
        sys.exit(exc.exit_code)
    except BrokenPipeError:
        sys.exit(1)
