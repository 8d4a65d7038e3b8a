"""Which files a policy path stands for: apart from the loader so that a compile-cache hit,
which only lists them, does not import the parser."""

from __future__ import annotations

from pathlib import Path

POLICY_SUFFIX = ".regate"


def policy_files(paths: list[str | Path]) -> list[Path]:
    found: list[Path] = []
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            found.extend(sorted(p for p in path.rglob(f"*{POLICY_SUFFIX}") if p.is_file()))
        else:
            found.append(path)
    return found
