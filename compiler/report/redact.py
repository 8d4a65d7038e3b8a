"""Secrets masked in everything a report prints.

Findings about secrets already carry masked matches, but a policy message can
interpolate any input field (an environment variable, a label, a file's
contents). Every string of a decision goes through regate's secret patterns
before any format sees it, so no report format can print a credential the
scanner would recognise.
"""

from __future__ import annotations

from typing import Any

from ..extract.secrets import mask_secrets


def redact(value: Any) -> Any:
    """A copy of a JSON value with every string redacted (object keys too)."""
    if isinstance(value, str):
        return mask_secrets(value)
    if isinstance(value, dict):
        return {mask_secrets(k): redact(v) for k, v in value.items()}
    if isinstance(value, list):
        return [redact(v) for v in value]
    return value
