"""`--format text`: for people at a terminal. Per image, findings as a table
grouped by effective action (STOP, then WARN, then GO), then why the image
got its action; the run's verdict comes last. Colour only when asked (the
CLI asks on a TTY without NO_COLOR)."""

from __future__ import annotations

from ..engine.decision import ACTIONS, worst_first
from . import Result, Run, data_summary, explain, location, unavailable

_COLOURS = {"STOP": "1;31", "WARN": "33", "GO": "32", "ERROR": "1;31", "N/A": "35", "dim": "2", "bold": "1"}
_REASONS = {
    "policy_evaluation": "the worst action of the evaluated policies",
    "denylisted": "the image is denylisted",
    "allowlisted": "the image is allowlisted",
    "no_mapping": "no mapping matches the image, so no policy applies",
    "invalid_input": "the input could not be evaluated",
    "data_unavailable": "data the check requires (--require) is unavailable",
}


def render(run: Run, color: bool = False) -> str:
    paint = _painter(color)
    engine = run.engine
    where = "managed OPA server" if engine.managed else f"OPA server {engine.target}" if engine.name == "server" else "opa eval"
    lines = [paint("dim", f"regate {run.regate_version} · policy {run.policy.revision[:12] or 'unknown revision'} · "
                          f"{where} (OPA {engine.opa_version})"), ""]
    for result in run.results:
        lines += _image(run, result, paint)
        if result.explanation is not None:
            lines += explain.text_lines(result.explanation, paint)
        lines.append("")
    lines.append(_verdict(run, paint))
    return "\n".join(lines) + "\n"


def _image(run: Run, result: Result, paint) -> list[str]:
    decision = result.decision
    lines = [paint("bold", result.image)]
    about = [f"from {result.subject}"] if result.subject != result.image else []
    if decision.get("mapping"):
        about.append(f"mapping {decision['mapping']}")
    if about:
        lines.append(paint("dim", "  " + " · ".join(about)))
    for policy in decision["policies"]:
        counts = policy.get("findings") or {}
        tally = ", ".join(f"{counts.get(a.lower(), 0)} {a.lower()}" for a in reversed(ACTIONS))
        lines.append(f"  policy {policy['id']}: {paint(policy['action'], policy['action'])} ({tally})")
    had, lacked = data_summary(decision)
    lines.append(paint("dim", f"  data: {had}"))
    if lacked:
        lines.append(paint("dim", f"  no data: {lacked}"))
    findings = worst_first(decision["findings"])
    missing = unavailable(decision)
    if findings or missing:
        width = max(len(f"{f['policy']}/{f['rule']}") for f in findings + missing)
        lines.append("")
        for finding in findings:
            lines += _finding(run, finding, width, paint)
        for entry in missing:
            name = f"{entry['policy']}/{entry['rule']}"
            lines.append(f"  {paint('N/A', 'N/A ')}  {name.ljust(width)}  data unavailable: "
                         f"{', '.join(entry['missing'])}{_at(run, entry.get('source'), paint)}")
    for error in decision["errors"]:
        lines.append(f"  {paint('ERROR', 'error')}  {error}")
    rule = decision.get("image_rule")
    if rule:
        lines.append(f"  {rule.get('verdict', '')} image {rule.get('pattern', '')!r}"
                     f"{': ' + rule['reason'] if rule.get('reason') else ''}{_at(run, rule.get('source'), paint)}")
    action = decision["final_action"]
    reason = decision["final_reason"]
    lines.append(f"  → {paint(action, action)}: {_REASONS.get(reason, reason)}")
    return lines


def _finding(run: Run, finding: dict, width: int, paint) -> list[str]:
    action = finding["effective_action"]
    name = f"{finding['policy']}/{finding['rule']}"
    lines = [f"  {paint(action, action.ljust(4))}  {name.ljust(width)}  {finding['message']}"
             f"{_at(run, finding.get('source'), paint)}"]
    indent = " " * (10 + width)
    exception = finding.get("exception")
    if exception:
        until = f" until {exception['until']}" if exception.get("until") else ""
        because = f": {exception['reason']}" if exception.get("reason") else ""
        lines.append(paint("dim", f"{indent}{finding['action']} excepted by {exception['id']}{until}{because}"))
    for expired in finding.get("expired_exceptions") or []:
        lines.append(paint("dim", f"{indent}exception {expired} has expired"))
    return lines


def _at(run: Run, source: str | None, paint) -> str:
    where = location(run.policy, source)
    return paint("dim", f"  ({where.path}:{where.line}:{where.column})") if where else ""


def _verdict(run: Run, paint) -> str:
    per_action = {a: sum(r.decision["final_action"] == a for r in run.results) for a in reversed(ACTIONS)}
    tally = ", ".join(f"{n} {a}" for a, n in per_action.items() if n)
    images = f"{len(run.results)} image{'s' if len(run.results) != 1 else ''}"
    if run.failed:
        return f"{paint('ERROR', 'ERROR')}: an input could not be evaluated ({images}: {tally}) · exit {run.exit_code}"
    verdict = run.verdict
    blind = sum(len(unavailable(r.decision)) for r in run.results)
    blind_note = f", {blind} rule{'s' if blind != 1 else ''} without data" if blind else ""
    return (f"{paint(verdict, verdict)}: {images} checked ({tally}{blind_note}), failing on {run.fail_on.upper()} · "
            f"exit {run.exit_code}")


def _painter(color: bool):
    def paint(style: str, text: str) -> str:
        return f"\033[{_COLOURS[style]}m{text}\033[0m" if color else text

    return paint
