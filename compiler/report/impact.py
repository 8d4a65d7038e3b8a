"""Reports of `regate diff`: text for a terminal, Markdown for a pull-request
comment (a short summary, the details collapsed), JSON for machines."""

from __future__ import annotations

import json

from ..engine.actions import ACTIONS
from ..impact import FindingChange, Impact, ImageImpact
from .markdown import _MARK, _cell, _code

FORMATS = ("text", "markdown", "json")
# GitHub refuses comments over 65,536 characters; past this many images the details are counted, not listed.
MARKDOWN_IMAGES = 100
_SIGN = {"appeared": "+", "disappeared": "-", "changed": "~"}
# A leading +/- would start a nested list in Markdown.
_MARKDOWN_SIGN = {"appeared": "➕", "disappeared": "➖", "changed": "🔁"}
_VERDICT = {"worse": "worse", "better": "better", "same": "findings changed"}


def render(fmt: str, impact: Impact) -> str:
    if fmt == "json":
        return json.dumps(impact.as_json(), indent=2, ensure_ascii=False) + "\n"
    return _markdown(impact) if fmt == "markdown" else _text(impact)


def _headline(impact: Impact) -> str:
    totals = impact.totals()
    return (f"{len(impact.changed)} of {impact.images} image{'s' if impact.images != 1 else ''} change: "
            f"{len(impact.worse)} worse, {len(impact.better)} better; findings +{totals['appeared']} "
            f"-{totals['disappeared']} ~{totals['changed']}")


def _revisions(impact: Impact) -> str:
    return f"base {impact.base_revision[:12] or 'unknown'} → head {impact.head_revision[:12] or 'unknown'}"


def _change(finding: FindingChange) -> str:
    actions = finding.head if finding.base is None else finding.base if finding.head is None \
        else f"{finding.base} → {finding.head}"
    return f"{_SIGN[finding.kind]} {actions} {finding.policy}/{finding.rule} {finding.key}: {finding.message}"


def _text(impact: Impact) -> str:
    lines = [f"regate diff: {_revisions(impact)}", _headline(impact), ""]
    lines.append("final actions   " + "  ".join(f"{a} {impact.actions['base'][a]} → {impact.actions['head'][a]}"
                                                for a in reversed(ACTIONS)))
    rules = impact.rules()
    if rules:
        lines += ["", "per rule (appeared, disappeared, changed; images):"]
        width = max(len(f"{r.policy}/{r.rule}") for r in rules)
        lines += [f"  {f'{r.policy}/{r.rule}'.ljust(width)}  +{r.appeared} -{r.disappeared} ~{r.changed}; {r.images}"
                  for r in rules]
    for image in impact.changed:
        lines += ["", f"{image.image}: {image.base} → {image.head} ({_VERDICT[image.verdict]})"]
        if image.subject != image.image:
            lines.append(f"  from {image.subject}")
        lines += [f"  {_change(f)}" for f in image.findings]
    return "\n".join(lines) + "\n"


def _markdown(impact: Impact) -> str:
    worse = len(impact.worse)
    title = f"🛑 {worse} image{'s get' if worse != 1 else ' gets'} a worse verdict" if worse else "✅ no verdict gets worse"
    lines = [f"## regate diff: {title}", "", _cell(_headline(impact)), "",
             f"| Final action | base `{impact.base_revision[:12]}` | head `{impact.head_revision[:12]}` |",
             "|---|---:|---:|"]
    lines += [f"| {_MARK[a]} | {impact.actions['base'][a]} | {impact.actions['head'][a]} |" for a in reversed(ACTIONS)]
    rules = impact.rules()
    if rules:
        lines += ["", "| Rule | Appeared | Disappeared | Changed | Images |", "|---|---:|---:|---:|---:|"]
        lines += [f"| {_code(r.policy + '/' + r.rule)} | {r.appeared} | {r.disappeared} | {r.changed} | {r.images} |"
                  for r in rules]
    if impact.changed:
        shown = impact.changed[:MARKDOWN_IMAGES]
        lines += ["", f"<details><summary>{len(impact.changed)} image{'s' if len(impact.changed) != 1 else ''} "
                      "whose verdict or findings change</summary>", "",
                  "| Image | Base | Head | Findings |", "|---|---|---|---|"]
        lines += [f"| {_code(i.image)} | {_MARK[i.base]} | {_MARK[i.head]} | {_tally(i)} |" for i in shown]
        for image in shown:
            if image.findings:
                lines += ["", f"**{_cell(image.image)}**", ""] + [_markdown_change(f) for f in image.findings]
        if len(impact.changed) > len(shown):
            lines += ["", f"… and {len(impact.changed) - len(shown)} more images (see `--format json`)"]
        lines += ["", "</details>"]
    lines += ["", f"<sub>regate diff · {_cell(_revisions(impact))} · {impact.images} images</sub>", ""]
    return "\n".join(lines)


def _markdown_change(finding: FindingChange) -> str:
    actions = _MARK[finding.head] if finding.base is None else _MARK[finding.base] if finding.head is None \
        else f"{_MARK[finding.base]} → {_MARK[finding.head]}"
    return (f"- {_MARKDOWN_SIGN[finding.kind]} {actions} {_code(finding.policy + '/' + finding.rule)} "
            f"{_code(str(finding.key))}: {_cell(finding.message)}")


def _tally(image: ImageImpact) -> str:
    kinds = [f.kind for f in image.findings]
    return " ".join(f"{_SIGN[k]}{kinds.count(k)}" for k in ("appeared", "disappeared", "changed") if k in kinds)
