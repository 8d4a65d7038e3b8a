"""`regate import anchore`: policies written for another tool, translated into regate's language."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from .compile import print_diagnostics


@click.group("import")
def import_group() -> None:
    """Translate another tool's policies into regate policy files."""


@import_group.command("anchore")
@click.argument("files", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("-o", "--output", "output", type=click.Path(path_type=Path), required=True,
              help="Directory to write the policy file into.")
@click.option("--allow-partial", is_flag=True,
              help="Import what can be imported; rules that cannot are warnings and comments in the output.")
def anchore_command(files: tuple[Path, ...], output: Path, allow_partial: bool) -> None:
    """Translate an Anchore policy BUNDLE (format 1_0), or a bundle and its modular PARTs
    (policy, whitelist and mapping files), into a regate policy file in OUTPUT."""
    from ..atomic import write_atomically
    from ..errors import UserError
    from ..importers.anchore import ImportProblems, import_anchore

    try:
        imported = import_anchore(list(files), allow_partial)
    except ImportProblems as found:
        print_diagnostics(found.diagnostics, found.sources)
        click.echo("regate: nothing written; --allow-partial imports the rest and marks what was left out", err=True)
        sys.exit(2)
    print_diagnostics(imported.warnings, imported.sources)
    if output.exists() and not output.is_dir():
        raise UserError(f"{output}: exists and is not a directory")
    output.mkdir(parents=True, exist_ok=True)
    target = output / imported.filename
    write_atomically(target, imported.text)
    left = f", {imported.left_out} left out (marked LEFT OUT)" if imported.left_out else ""
    click.echo(f"wrote {target}: {imported.imported} rules imported{left}", err=True)
