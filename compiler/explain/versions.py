"""Lowest package upgrades, decided by OPA with the bundle's own version library.

The ordering of versions exists once, in Rego (`regate/lib/version`); the
policies compare with it, so the plan does too: one `opa eval` of
`upgrade.rego` over every package a plan may upgrade. It is started, then
read when the plan needs it (`Upgrades`): the plan's other evaluations run
meanwhile.
"""

from __future__ import annotations

import json
import signal
import subprocess
import tempfile
import time
from importlib import resources

import orjson

from ..errors import EngineError, one_line
from ..opa import Opa, kill_group, start_isolated
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
        self._timeout = timeout
        self._deadline = time.monotonic() + timeout
        self._process: subprocess.Popen | None = None
        if not packages:
            return
        args = [opa.path, "eval", "--format", "json", "--stdin-input"]
        for module in _modules():
            args += ["--data", module]
        # From a file: a pipe would need writing while OPA reads it, and regate does other work meanwhile.
        with tempfile.TemporaryFile() as stdin:
            stdin.write(orjson.dumps({"packages": packages}))
            stdin.seek(0)
            try:
                self._process = start_isolated([*args, _QUERY], stdin=stdin, stdout=subprocess.PIPE,
                                               stderr=subprocess.PIPE, text=True)
            except OSError as exc:
                raise EngineError(f"cannot run {opa.path}: {exc.strerror or exc}") from None

    def result(self) -> dict[str, dict]:
        if self._process is None:
            return {}
        process, self._process = self._process, None
        try:
            stdout, stderr = process.communicate(timeout=max(0.0, self._deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            _stop(process)
            raise EngineError(f"opa eval did not finish within {self._timeout:g} s (--timeout)") from None
        except BaseException:
            _stop(process)
            raise
        try:
            return orjson.loads(stdout)["result"][0]["expressions"][0]["value"]
        except (json.JSONDecodeError, KeyError, IndexError, TypeError):  # orjson's is one
            raise EngineError(f"opa eval of the upgrade plan failed (exit status {process.returncode}): "
                              f"{one_line(stdout or stderr) or 'no output'}") from None

    def cancel(self) -> None:
        """Stops the evaluation if `result` did not read it."""
        if self._process is not None:
            process, self._process = self._process, None
            _stop(process)


def _stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        kill_group(process, signal.SIGKILL)
    process.communicate()


def lowest_upgrades(opa: Opa, packages: dict[str, dict], timeout: float) -> dict[str, dict]:
    """Per package key ({type, version, fixes: {vulnerability key: [versions]}}): the lowest
    `target` version above the installed one that reaches a fix of every vulnerability that has
    one above it, the vulnerabilities that version `cleared`, and those `unfixable` by any."""
    return Upgrades(opa, packages, timeout).result()
