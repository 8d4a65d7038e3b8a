"""Lowest package upgrades, decided by OPA with the bundle's own version library.

The ordering of versions exists once, in Rego (`regate/lib/version`); the
policies compare with it, so the plan does too: one `opa eval` of
`upgrade.rego` over every package a plan may upgrade. It is started, then
read when the plan needs it (`Upgrades`): the plan's other evaluations run
meanwhile.
"""

from __future__ import annotations

from importlib import resources

import orjson

from ..errors import EngineError, one_line
from ..opa import Opa, Running
from ..resources import rego_library

_QUERY = "data.regate.explain.upgrades"


def _modules() -> list[str]:
    library = rego_library() / "regate" / "lib" / "version"
    files = [str(f) for f in library.iterdir() if f.name.endswith(".rego") and not f.name.endswith("_test.rego")]
    return sorted(files) + [str(resources.files("regate") / "explain" / "upgrade.rego")]


class Upgrades:
    """The `opa eval` of the lowest upgrades of `packages` (see `lowest_upgrades`), running from
    its creation until `result` reads it or `cancel` stops it (with all it started, as on a timeout)."""

    def __init__(self, opa: Opa, packages: dict[str, dict], timeout: float):
        self._run: Running | None = None
        if not packages:
            return
        args = ["eval", "--format", "json", "--stdin-input"]
        for module in _modules():
            args += ["--data", module]
        self._run = opa.start(*args, _QUERY, data=orjson.dumps({"packages": packages}), timeout=timeout)

    def result(self) -> dict[str, dict]:
        if self._run is None:
            return {}
        done = self._run.finish()
        try:
            return orjson.loads(done.stdout)["result"][0]["expressions"][0]["value"]
        except (orjson.JSONDecodeError, KeyError, IndexError, TypeError):
            raise EngineError(f"opa eval of the upgrade plan failed (exit status {done.returncode}): "
                              f"{one_line(done.stdout or done.stderr) or 'no output'}") from None

    def cancel(self) -> None:
        """Stops the evaluation if `result` did not read it."""
        if self._run is not None:
            self._run.cancel()


def lowest_upgrades(opa: Opa, packages: dict[str, dict], timeout: float) -> dict[str, dict]:
    """Per package key ({type, version, fixes: {vulnerability key: [versions]}}): the lowest
    `target` version above the installed one that reaches a fix of every vulnerability that has
    one above it, the vulnerabilities that version `cleared`, and those `unfixable` by any."""
    return Upgrades(opa, packages, timeout).result()
