"""regate's entry point: a check of one prepared document starts OPA before the command line
is parsed (`regate.early`), then the command runs as always."""

from __future__ import annotations

import sys


def main() -> None:
    from .early import speculate

    speculate(sys.argv[1:])
    from .cli import main as run

    run()
