"""Secrets masked in everything a report prints.

Findings about secrets already carry masked matches, and input documents hold
secrets masked (`regate.extract.conceal`), but a policy message can
interpolate any input field, and a prepared document may come from anywhere.
Every string of a decision, object keys included, goes through regate's
secret detectors and is masked wherever it holds one of the secret values the
extractor found (in any case) before any format sees it, so no report format
can print a credential regate recognises or found.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any, Iterable

from ..extract.secrets import mask_json, masker


def redact(value: Any, known: Iterable[str] = ()) -> Any:
    """A copy of a JSON value with every string redacted (object keys too)."""
    mask = masker(known, config=True)
    # A decision repeats its strings (field names, actions, policy and rule ids, titles), an
    # --explain plan names each finding and package several times: each distinct string is
    # masked once. On a batch of large images this was most of regate's own work per decision.
    return mask_json(value, lru_cache(maxsize=None)(mask), keys=True)
