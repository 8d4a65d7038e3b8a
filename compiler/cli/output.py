"""Where a command's report goes: standard output, or a file written atomically."""

from __future__ import annotations

from pathlib import Path

import click

from ..errors import UserError
from ..report import write


def deliver(text: str | bytes, output: Path | None) -> None:
    """`text` to standard output, or to `output` (a reader never sees half of it)."""
    if output is None:
        click.echo(text, nl=False)
        return
    try:
        write(output, text)
    except OSError as exc:
        raise UserError(f"cannot write the report to {output}: {exc.strerror or exc}") from None
