"""Lowest package upgrades, decided by OPA with the bundle's own version library.

The ordering of versions exists once, in Rego (`regate/lib/version`); the
policies compare with it, so the plan does too: one `opa eval` of
`upgrade.rego` over every package a plan may upgrade.
"""

from __future__ import annotations

import json
from importlib import resources

from ..errors import EngineError, one_line
from ..opa import Opa
from ..resources import rego_library

_QUERY = "data.regate.explain.upgrades"


def _modules() -> list[str]:
    library = rego_library() / "regate" / "lib" / "version"
    files = [str(f) for f in library.iterdir() if f.name.endswith(".rego") and not f.name.endswith("_test.rego")]
    return sorted(files) + [str(resources.files("regate") / "explain" / "upgrade.rego")]


def lowest_upgrades(opa: Opa, packages: dict[str, dict], timeout: float) -> dict[str, dict]:
    """Per package key ({type, version, fixes: {vulnerability key: [versions]}}): the lowest
    `target` version above the installed one that reaches a fix of every vulnerability that has
    one above it, the vulnerabilities that version `cleared`, and those `unfixable` by any."""
    if not packages:
        return {}
    args = ["eval", "--format", "json", "--stdin-input"]
    for module in _modules():
        args += ["--data", module]
    done = opa.run(*args, _QUERY, input_text=json.dumps({"packages": packages}), timeout=timeout)
    try:
        value = json.loads(done.stdout)["result"][0]["expressions"][0]["value"]
    except (json.JSONDecodeError, KeyError, IndexError, TypeError):
        raise EngineError(f"opa eval of the upgrade plan failed (exit status {done.returncode}): "
                          f"{one_line(done.stdout or done.stderr) or 'no output'}") from None
    return value
