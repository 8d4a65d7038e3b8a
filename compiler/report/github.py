"""`--format github`: GitHub Actions workflow commands, so findings appear as
annotations on the policy lines that produced them.

STOP → `::error`, WARN → `::warning`, excepted findings and GO rules →
`::notice`; the last line summarises the run (an error when the job fails).
"""

from __future__ import annotations

from . import Result, Run, data_summary, location, unavailable, unavailable_message

_COMMANDS = {"STOP": "error", "WARN": "warning", "GO": "notice"}


def _data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _property(text: str) -> str:
    return _data(text).replace(":", "%3A").replace(",", "%2C")


def _command(kind: str, message: str, title: str, run: Run | None = None, source: str | None = None) -> str:
    properties = []
    where = location(run.policy, source) if run else None
    if where:
        properties += [f"file={_property(where.path)}", f"line={where.line}", f"col={where.column}"]
    properties.append(f"title={_property(title)}")
    return f"::{kind} {','.join(properties)}::{_data(message)}"


def render(run: Run) -> str:
    lines = []
    for result in run.results:
        lines += _image(run, result)
    tally = ", ".join(f"{r.image} {r.decision['final_action']}" for r in run.results)
    if run.failed:
        lines.append(_command("error", f"an input could not be evaluated ({tally})", "regate: ERROR"))
    else:
        lines.append(_command("error" if run.exit_code else "notice", tally, f"regate: {run.verdict}"))
    return "\n".join(lines) + "\n"


def _image(run: Run, result: Result) -> list[str]:
    decision = result.decision
    title = f"regate: {decision['final_reason'].replace('_', ' ')}"
    lines = [_command("error", f"{result.subject}: {error}", title) for error in decision["errors"]]
    lacked = data_summary(decision)[1]
    if lacked:
        lines.append(_command("notice", f"{result.image}: no source provided {lacked}", "regate: data not provided"))
    for entry in unavailable(decision):
        lines.append(_command("warning", f"{result.image}: {unavailable_message(entry)}",
                              f"{entry['policy']}/{entry['rule']} (data unavailable)", run, entry.get("source")))
    rule = decision.get("image_rule") or {}
    if rule.get("verdict") == "deny":
        lines.append(_command("error", f"{result.image} is denylisted by {rule.get('pattern')!r}: {rule.get('reason') or ''}",
                              "regate: denylisted image", run, rule.get("source")))
    for finding in decision["findings"]:
        exception = finding.get("exception")
        title = f"{finding['policy']}/{finding['rule']}"
        message = f"{result.image}: {finding['message']}"
        if exception:
            title += f" ({finding['action']}, excepted)"
            message += f" [excepted by {exception['id']}{' until ' + exception['until'] if exception.get('until') else ''}]"
        lines.append(_command(_COMMANDS[finding["effective_action"]], message, title, run, finding.get("source")))
    return lines
