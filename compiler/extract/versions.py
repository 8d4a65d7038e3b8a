"""Which way a package's version moved, by the policies' own ordering.

Policies order versions with the Rego library `regate.lib.version`; the baseline comparison asks
that same library (one `opa eval` for every pair), so an `upgraded` record and `p.version > x` in
a policy can never disagree.
"""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

from ..errors import EngineError
from ..opa import find_opa
from ..resources import iter_rego_library

_LIBRARY = "regate/lib/version/"
_QUERY = "[data.regate.lib.version.compare(p[0], p[1], p[2]) | some p in input.pairs]"


def order_versions(pairs: list[tuple[str, str, str]]) -> dict[tuple[str, str, str], int]:
    """(ecosystem, before, after) → -1, 0 or 1 as `after` is older than, equal to or newer than `before`."""
    pairs = sorted(set(pairs))
    if not pairs:
        return {}
    with tempfile.TemporaryDirectory(prefix="regate-versions-") as folder:
        for name, source in iter_rego_library():
            if name.startswith(_LIBRARY):
                path = Path(folder) / name
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_text(source, "utf-8")
        proc = find_opa().run("eval", "--format", "json", "--data", folder, "--stdin-input", _QUERY,
                              input_text=json.dumps({"pairs": [[eco, after, before] for eco, before, after in pairs]}))
    try:
        signs = json.loads(proc.stdout)["result"][0]["expressions"][0]["value"]
    except (ValueError, KeyError, IndexError, TypeError):
        signs = None
    if proc.returncode != 0 or not isinstance(signs, list) or len(signs) != len(pairs):
        raise EngineError(f"opa could not order package versions: {proc.stderr.strip()[:500]}")
    return dict(zip(pairs, signs))
