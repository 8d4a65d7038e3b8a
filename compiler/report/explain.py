"""The `--explain` plan as people read it: a text section after an image's
findings, and a Markdown block for the pull-request comment. Both say the same
things in the same order: the verdict of the proof, the plan (grouped by the
layer that brought each package in), what remains and why, and the exceptions
that would be needed, which are never applied."""

from __future__ import annotations


def headline(explanation: dict) -> str:
    proof = explanation["proof"]
    if proof.get("not_explainable"):
        return f"no plan: {proof['not_explainable']}"
    changes = len(explanation["plan"])
    if not explanation["findings"]:
        return "nothing to explain: no finding fails the check"
    noun = "change" if changes == 1 else "changes"
    if proof["go"]:
        return f"{changes} {noun} {'passes' if changes == 1 else 'pass'} the check — proven by OPA: {explanation['before']} → {proof['final_action']}"
    left = len(proof["remaining"])
    if not changes:
        return (f"no change clears the {left} finding{'s' if left != 1 else ''} that fail the check "
                f"(reasons below) — evaluated by OPA: {proof['final_action']}")
    return (f"{changes} {noun} {'leaves' if changes == 1 else 'leave'} {left} finding{'s' if left != 1 else ''} no change can fix — "
            f"proven by OPA: {explanation['before']} → {proof['final_action']}")


def plan_lines(explanation: dict) -> list[str]:
    """One line per change, `before → after` where a value changes."""
    return [f"{change['summary']}  ({len(change['clears'])} finding{'s' if len(change['clears']) != 1 else ''})"
            for change in explanation["plan"]]


def remaining_lines(explanation: dict) -> list[str]:
    return [f"{r['policy']}/{r['rule']} {r['key']}: {r['reason']}" for r in explanation["proof"]["remaining"]]


def text_lines(explanation: dict, paint) -> list[str]:
    lines = ["", paint("bold", "  How to pass (--explain)"), f"  {headline(explanation)}"]
    rebuild = explanation.get("rebuild_base")
    if rebuild:
        lines.append(f"  ⇒ {rebuild['summary']}")
    for line in plan_lines(explanation):
        lines.append(f"    • {line}")
    if explanation["proof"]["remaining"]:
        lines.append("  remaining:")
        lines += [f"    {paint('STOP', '✗')} {line}" for line in remaining_lines(explanation)]
    if explanation["exceptions"]:
        lines.append(paint("dim", "  exceptions that would be needed (last resort, not applied):"))
        lines += [paint("dim", f"    {e['exception']}") for e in explanation["exceptions"]]
    if explanation["patch"]:
        lines.append(paint("dim", f"  the JSON Patch ({len(explanation['patch'])} operation{'s' if len(explanation['patch']) != 1 else ''}) "
                                   "is in --format json"))
    return lines


def markdown_lines(explanation: dict, cell, code) -> list[str]:
    lines = ["", f"**How to pass:** {cell(headline(explanation))}"]
    rebuild = explanation.get("rebuild_base")
    if rebuild:
        lines += ["", f"> {cell(rebuild['summary'])}"]
    if explanation["plan"]:
        lines += ["", "| Change | Before | After | Clears |", "|---|---|---|---:|"]
        for change in explanation["plan"]:
            after = change["after"] if isinstance(change["after"], str) else ("removed" if change["after"] is None else "added")
            lines.append(f"| {cell(change['summary'])} | {code(str(change['before'] or '—'))} | "
                         f"{code(after)} | {len(change['clears'])} |")
    if explanation["proof"]["remaining"]:
        lines += ["", "Remaining after the plan:", ""]
        lines += [f"- {cell(line)}" for line in remaining_lines(explanation)]
    if explanation["exceptions"]:
        lines += ["", "<details><summary>Exceptions that would be needed (last resort, not applied)</summary>", "",
                  "```", *[e["exception"] for e in explanation["exceptions"]], "```", "", "</details>"]
    return lines
