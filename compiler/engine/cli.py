"""The OPA CLI engine: `opa eval` on the bundle, one process per input document."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import TYPE_CHECKING

import orjson

from ..collector import paused
from ..errors import EngineError, one_line
from ..opa import Opa, eval_args
from . import Engine, EngineInfo
from .decision import validate
from .shapes import Serialised, expect, input_json

if TYPE_CHECKING:
    from .ahead import Ahead


class CliEngine(Engine):
    def __init__(self, bundle: Path, opa: Opa, timeout: float, ahead: Ahead | None = None):
        self.bundle = bundle
        self.opa = opa
        self.timeout = timeout
        # An evaluation started before its document was ready (`regate.engine.ahead`): the first
        # document evaluated uses its result if OPA was given exactly that document.
        self.ahead = ahead

    def describe(self) -> EngineInfo:
        return EngineInfo("cli", self.opa.version, str(self.bundle))

    def evaluate(self, document: dict | Serialised) -> dict:
        data = input_json(document)
        ahead, self.ahead = self.ahead, None
        done = ahead.outcome_for(data) if ahead is not None else None
        if done is None:
            # A timeout kills `opa` and anything it started (Running): nothing outlives the call.
            done = self.opa.start(*eval_args(self.bundle), data=data, timeout=self.timeout).finish()
        if done.returncode != 0:
            raise EngineError(f"opa eval failed (exit status {done.returncode}): {_failure(done)}")
        return validate(_decision_value(done.stdout), "opa eval")

    def close(self) -> None:
        if self.ahead is not None:
            self.ahead.cancel()


def _decision_value(stdout: str):
    """The value of the query, or None when it is undefined."""
    try:
        with paused():  # a tree, with no cycles to collect; read while regate waits for it
            output = orjson.loads(stdout)
    except orjson.JSONDecodeError:
        raise EngineError(f"opa eval printed something that is not JSON: {one_line(stdout)}") from None
    try:
        results = expect(expect(output, dict, "the output").get("result", []), list, "`result`")
        if not results:
            return None
        expressions = expect(expect(results[0], dict, "result[0]").get("expressions"), list, "result[0].expressions")
        first = expect(expressions[0] if expressions else None, dict, "result[0].expressions[0]")
        if "value" not in first:
            raise EngineError("result[0].expressions[0] has no `value`")
    except EngineError as exc:
        raise EngineError(f"opa eval printed JSON of an unexpected shape: {exc}") from None
    return first["value"]


def _failure(done: subprocess.CompletedProcess) -> str:
    # With --format json, OPA reports evaluation errors as JSON on stdout.
    try:
        output = json.loads(done.stdout)
    except json.JSONDecodeError:
        output = None
    errors = output.get("errors") if isinstance(output, dict) else None
    listed = errors if isinstance(errors, list) else []
    messages = [f"{e.get('code', 'error')}: {e.get('message', '')}" for e in listed if isinstance(e, dict)]
    return "; ".join(messages) or one_line(done.stderr or done.stdout) or "no output"

