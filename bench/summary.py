"""The line a benchmark prints for each target it measures, which `bench/run.py` gathers
into the summary table that ends `make bench`.

    report("extract: Syft 10k + Grype 5k", "< 1 s", f"{seconds:.2f} s", seconds < 1)
"""

from __future__ import annotations

import json

PREFIX = "@summary "


def report(measure: str, target: str, measured: str, ok: bool | None) -> None:
    """`ok` None: a figure shown without a target."""
    print(PREFIX + json.dumps({"measure": measure, "target": target, "measured": measured, "ok": ok}), flush=True)


def parse(line: str) -> dict | None:
    if not line.startswith(PREFIX):
        return None
    try:
        entry = json.loads(line[len(PREFIX):])
    except ValueError:
        return None
    return entry if isinstance(entry, dict) else None
