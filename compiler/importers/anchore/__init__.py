"""`regate import anchore`: an Anchore policy bundle (whole, or as modular parts) → a regate policy file.

reader.py reads the JSON into a typed bundle (legacy.py renames old gates), gates/ holds one
translator per trigger, allowlists.py turns whitelist items into exceptions, translate.py assembles
the policy text, which is returned in `regate fmt`'s canonical layout.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from ...diagnostics import Diagnostic, Diagnostics
from ...formatter import format_source
from .reader import read_bundle
from .translate import translate_bundle


@dataclass(frozen=True)
class Imported:
    filename: str
    text: str
    warnings: list[Diagnostic]
    sources: dict[str, str]
    imported: int
    left_out: int


def import_anchore(paths: list[Path], allow_partial: bool = False) -> Imported:
    """Raises `Diagnostics` (rendered against `sources`) when a rule cannot be imported and
    `allow_partial` is not set; with it, left-out rules are warnings and comments in the text."""
    bundle = read_bundle(paths)
    result = translate_bundle(bundle, [Path(p).name for p in paths], allow_partial)
    errors = [d for d in result.problems if d.is_error]
    if errors:
        raise ImportProblems(errors, bundle.sources)
    filename = _filename(bundle.name)
    return Imported(filename, format_source(filename, result.text), result.problems, bundle.sources,
                    result.imported, result.left_out)


class ImportProblems(Diagnostics):
    def __init__(self, diagnostics: list[Diagnostic], sources: dict[str, str]):
        super().__init__(diagnostics)
        self.sources = sources


def _filename(name: str) -> str:
    return (re.sub(r"[^a-zA-Z0-9_.-]+", "-", name).strip("-.").lower() or "anchore") + ".regate"
