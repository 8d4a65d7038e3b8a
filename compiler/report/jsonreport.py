"""`--format json`: every decision document whole, with what produced it.

The shape (`report_version` 1) is described in docs/reports.md; fields are only
ever added within a version.
"""

from __future__ import annotations

import json

import orjson

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


# Where a result's input sits in the report: in the report object, its results, a result.
_INPUT_INDENT = b"\n" + b"  " * 3


class Embedded:
    """An input document rendered as the report prints it (`embedded`)."""

    __slots__ = ("text",)

    def __init__(self, text: bytes):
        self.text = text


def embedded(document: dict) -> Embedded | dict:
    """`document` as the report will print it, rendered now: a batch's check renders each image's
    document as its decision arrives, while OPA decides the next ones, instead of all of them
    after the last (the inputs are most of a report), and need not keep the documents. The text
    is what rendering the whole report writes (a newline never occurs inside a JSON string)."""
    try:
        return Embedded(orjson.dumps(document, option=orjson.OPT_INDENT_2).replace(b"\n", _INPUT_INDENT))
    except orjson.JSONEncodeError:  # integers past 64 bits: rendered with the rest of the report
        return document


def render(run: Run) -> bytes:
    """The report as UTF-8: made as bytes and written as they are, rather than decoded, given
    its newline and encoded again, three copies of tens of megabytes on a batch."""
    report = document(run)
    try:  # about ten times faster than the json module on a decision with thousands of findings
        return orjson.dumps(report, option=orjson.OPT_INDENT_2 | orjson.OPT_APPEND_NEWLINE, default=_as_fragment)
    except orjson.JSONEncodeError:  # integers past 64 bits, which an input document may hold
        return (json.dumps(report, indent=2, ensure_ascii=False, default=_as_value) + "\n").encode("utf-8")


def _as_fragment(value: object) -> orjson.Fragment:
    if isinstance(value, Embedded):
        return orjson.Fragment(value.text)
    raise TypeError(f"{type(value).__name__} is not JSON")


def _as_value(value: object) -> object:
    """An embedded document read back, for the json module to render as it renders the rest."""
    if isinstance(value, Embedded):
        return orjson.loads(value.text)
    raise TypeError(f"{type(value).__name__} is not JSON")
