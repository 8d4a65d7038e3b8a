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

from typing import Any, Iterable

from ..extract.secrets import mask_json, masker


def redact(value: Any, known: Iterable[str] = ()) -> Any:
    """A copy of a JSON value with every string redacted (object keys too)."""
    mask = masker(known, config=True)
    # A decision repeats its keys, ids, titles and sources in every finding: each is masked once.
    masked: dict[str, str] = {}

    def mask_once(text: str) -> str:
        if text not in masked:
            masked[text] = mask(text)
        return masked[text]

    return mask_json(value, mask_once, keys=True)
