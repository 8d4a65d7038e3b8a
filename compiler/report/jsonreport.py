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


def render(run: Run) -> str:
    report = document(run)
    try:  # about ten times faster than the json module on a decision with thousands of findings
        return orjson.dumps(report, option=orjson.OPT_INDENT_2).decode() + "\n"
    except orjson.JSONEncodeError:  # integers past 64 bits, which an input document may hold
        return json.dumps(report, indent=2, ensure_ascii=False) + "\n"
