"""`--format json`: every decision document whole, with what produced it.

The shape (`report_version` 1) is described in docs/reports.md; fields are only
ever added within a version.
"""

from __future__ import annotations

import json
import os
import re

import orjson

from ..engine.shapes import Serialised
from . import Result, Run


def _ms(timings: dict[str, float]) -> dict[str, float]:
    return {stage: round(seconds * 1000, 3) for stage, seconds in sorted(timings.items())}


def document(run: Run) -> dict:
    return {
        "report_version": 1,
        "regate_version": run.regate_version,
        "verdict": run.verdict,
        "exit_code": run.exit_code,
        "fail_on": run.fail_on.upper(),
        "policy": {"revision": run.policy.revision, "cached": run.cached},
        "engine": run.engine.as_json(),
        "timings_ms": _ms(run.timings),
        "results": [_result(result) for result in run.results],
    }


def _result(result: Result) -> dict:
    out = {
        "subject": result.subject,
        "image": result.decision.get("image"),
        "final_action": result.decision["final_action"],
        "decision": result.decision,
        "timings_ms": _ms(result.timings),
    }
    if result.input is not None:
        out["input"] = result.input
    if result.explanation is not None:
        out["explanation"] = result.explanation
    return out


def render(run: Run) -> bytes:
    """The report as UTF-8: made as bytes and written as they are, rather than decoded, given
    its newline and encoded again, three copies of tens of megabytes on a batch. A result's
    input is the compact JSON its engine sent (`Serialised`), embedded as it is: indenting it
    would serialise each document a second time, and it is most of a report."""
    report = document(run)
    try:  # about ten times faster than the json module on a decision with thousands of findings
        return orjson.dumps(report, option=orjson.OPT_INDENT_2 | orjson.OPT_APPEND_NEWLINE, default=_as_fragment)
    except orjson.JSONEncodeError:  # integers past 64 bits, from the input in an explanation's patch
        return _render_by_json_module(report)


def _as_fragment(value: object) -> orjson.Fragment:
    if isinstance(value, Serialised):
        return orjson.Fragment(value.json)
    raise TypeError(f"{type(value).__name__} is not JSON")


def _render_by_json_module(report: dict) -> bytes:
    """The report rendered by the json module, each embedded input still its own bytes. The json
    module embeds no text as it is: an input is rendered as a marker string, replaced afterwards.
    The marker is random, so no string of the report (which the input's author may choose) is one."""
    marker = f"regate-input-{os.urandom(16).hex()}-"
    inputs: list[bytes] = []

    def as_marker(value: object) -> str:
        if isinstance(value, Serialised):
            inputs.append(value.json)
            return f"{marker}{len(inputs) - 1}"
        raise TypeError(f"{type(value).__name__} is not JSON")

    text = (json.dumps(report, indent=2, ensure_ascii=False, default=as_marker) + "\n").encode("utf-8")
    pieces = re.split(b'"' + marker.encode() + rb'(\d+)"', text)
    pieces[1::2] = [inputs[int(index)] for index in pieces[1::2]]
    return b"".join(pieces)
