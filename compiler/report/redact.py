"""Secrets masked in everything a report prints.

Findings about secrets already carry masked matches, but a policy message can
interpolate any input field (an environment variable, a label, a file's
contents). Every string of a decision goes through regate's secret patterns
before any format sees it, so no report format can print a credential the
scanner would recognise.
"""

from __future__ import annotations

from typing import Any

from ..extract.masking import mask_secret
from ..extract.secrets import RULES


def redact_text(text: str) -> str:
    merged: list[list[int]] = []
    for start, end in sorted({m.span(1) for rule in RULES for m in rule.pattern.finditer(text)}):
        if merged and start < merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], end)
        elif start < end:
            merged.append([start, end])
    out, position = [], 0
    for start, end in merged:
        out += [text[position:start], mask_secret(text[start:end])]
        position = end
    out.append(text[position:])
    return "".join(out)


def redact(value: Any) -> Any:
    """A copy of a JSON value with every string redacted (object keys too)."""
    if isinstance(value, str):
        return redact_text(value)
    if isinstance(value, dict):
        return {redact_text(k): redact(v) for k, v in value.items()}
    if isinstance(value, list):
        return [redact(v) for v in value]
    return value
