"""`--format markdown`: a summary to post as a pull-request comment. A table
of images, then each image's findings in a collapsed section, and what changed against the
baseline when one was given."""

from __future__ import annotations

import json

from ..engine.decision import worst_first
from . import Result, Run, data_summary, explain, location, unavailable, unavailable_message

_MARK = {"STOP": "🛑 STOP", "WARN": "⚠️ WARN", "GO": "✅ GO", "ERROR": "🛑 ERROR"}


def _cell(text: str) -> str:
    """Table-safe, and no HTML a comment would render."""
    text = " ".join(str(text).split())
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("|", "\\|")


def _code(text: str) -> str:
    return f"`{text}`" if "`" not in text else _cell(text)


def render(run: Run) -> str:
    verdict = "ERROR" if run.failed else run.verdict
    lines = [f"## regate: {_MARK[verdict]}", "",
             "| Image | Action | Reason | STOP | WARN | GO |", "|---|---|---|---:|---:|---:|"]
    for result in run.results:
        counts = result.counts()
        decision = result.decision
        lines.append(f"| {_code(result.image)} | {_MARK[decision['final_action']]} | "
                     f"{_cell(decision['final_reason'].replace('_', ' '))} | {counts['STOP']} | {counts['WARN']} | {counts['GO']} |")
    for result in run.results:
        decision = result.decision
        if decision["findings"] or decision["errors"] or result.explanation is not None or decision.get("image_rule") or unavailable(decision) \
                or data_summary(decision)[1]:
            lines += [""] + _details(run, result)
        if result.input and result.input.get("baseline") is not None:
            lines += [""] + _what_changed(result)
    engine = run.engine
    lines += ["", f"<sub>regate {run.regate_version} · policy revision `{run.policy.revision[:12] or 'unknown'}` · "
                  f"OPA {engine.opa_version} ({'managed server' if engine.managed else engine.name}) · "
                  f"failing on {run.fail_on.upper()}</sub>", ""]
    return "\n".join(lines)


def _details(run: Run, result: Result) -> list[str]:
    decision = result.decision
    findings = worst_first(decision["findings"])
    noun = "finding" if len(findings) == 1 else "findings"
    lines = [f"<details><summary>{_cell(result.image)}: {len(findings)} {noun}</summary>", ""]
    for error in decision["errors"]:
        lines.append(f"- **error:** {_cell(error)}")
    had, lacked = data_summary(decision)
    lines.append(f"- **data:** {_cell(had)}")
    if lacked:
        lines.append(f"- **no data:** {_cell(lacked)}")
    for entry in unavailable(decision):
        lines.append(f"- **data unavailable:** {_cell(unavailable_message(entry))}")
    rule = decision.get("image_rule")
    if rule:
        lines.append(f"- **{_cell(rule.get('verdict', ''))} image** `{_cell(rule.get('pattern', ''))}`"
                     f"{': ' + _cell(rule['reason']) if rule.get('reason') else ''}")
    if findings:
        if len(lines) > 2:
            lines.append("")
        lines += ["| Action | Rule | Finding | Exception | Source |", "|---|---|---|---|---|"]
        for finding in findings:
            exception = finding.get("exception")
            excepted = ""
            if exception:
                excepted = f"{finding['action']} excepted by {exception['id']}"
                excepted += f" until {exception['until']}" if exception.get("until") else ""
                excepted += f": {exception['reason']}" if exception.get("reason") else ""
            elif finding.get("expired_exceptions"):
                excepted = "expired: " + ", ".join(finding["expired_exceptions"])
            where = location(run.policy, finding.get("source"))
            lines.append(f"| {_MARK[finding['effective_action']]} | {_code(finding['policy'] + '/' + finding['rule'])} | "
                         f"{_cell(finding['message'])} | {_cell(excepted)} | "
                         f"{_code(f'{where.path}:{where.line}') if where else ''} |")
    lines += ["", "</details>"]
    if result.explanation is not None:
        lines += explain.markdown_lines(result.explanation, _cell, _code)
    return lines


# A pull-request comment has a size limit (65,536 characters on GitHub); the JSON report has every record.
_MAX_CHANGES = 200


def _what_changed(result: Result) -> list[str]:
    """The change records (`drift`) against the baseline: one row each, values abridged."""
    records = list(result.input.get("drift", {}).values())
    baseline = result.input["baseline"]
    against = baseline.get("reference") or baseline.get("digest") or baseline.get("id") or "the baseline"
    noun = "change" if len(records) == 1 else "changes"
    lines = [f"<details><summary>{_cell(result.image)}: what changed against {_cell(against)}: "
             f"{len(records)} {noun}</summary>", ""]
    if not records:
        return lines + ["Nothing: the compared fields are those of the baseline.", "", "</details>"]
    lines += ["| Change | Collection | Element | Field | Before | After |", "|---|---|---|---|---|---|"]
    for record in records[:_MAX_CHANGES]:
        whole = "field" not in record and record["collection"] != "image"  # a whole element added or removed
        lines.append(f"| {record['op']} | {record['collection']} | {_cell(record['element'])} | {record.get('field', '')} | "
                     f"{'' if whole else _value(record.get('before'))} | {'' if whole else _value(record.get('after'))} |")
    if len(records) > _MAX_CHANGES:
        lines.append(f"\n… and {len(records) - _MAX_CHANGES} more (the JSON report lists every change)")
    return lines + ["", "</details>"]


def _value(value) -> str:
    if value is None:
        return ""
    text = value if isinstance(value, str) else json.dumps(value, sort_keys=True, ensure_ascii=False)
    return _cell(text if len(text) <= 80 else text[:77] + "...")
