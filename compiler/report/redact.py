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

import orjson

from ..extract.secrets import mask_json, masker, masks_nothing


def redact(value: Any, known: Iterable[str] = ()) -> Any:
    """A copy of a JSON value with every string redacted (object keys too); the value itself when
    none of its strings holds a secret."""
    known = tuple(known)
    # Most decisions hold none: one search over all their strings says so, several times faster
    # than looking at each.
    if masks_nothing(_texts(value), known):
        return value
    mask = masker(known, config=True)
    # A decision repeats its strings (field names, actions, policy and rule ids, titles), an
    # --explain plan names each finding and package several times: each distinct string is
    # masked once. On a batch of large images this was most of regate's own work per decision.
    return mask_json(value, lru_cache(maxsize=None)(mask), keys=True)


def _texts(value: Any) -> Iterable[str]:
    """Texts holding every string of a JSON value, object keys included, each between line breaks
    (as `masks_nothing` needs them): its compact JSON with every quote a line break, when no string
    needed an escape (each string then stands in it as it is, between its quotes); else each
    distinct string. The first is several times faster to make than walking the value."""
    try:
        text = orjson.dumps(value)
    except orjson.JSONEncodeError:  # integers past 64 bits
        return _strings(value)
    if b"\\" in text:
        return _strings(value)
    return (text.replace(b'"', b"\n").decode(),)


def _strings(value: Any) -> set[str]:
    """Every distinct string of a JSON value, object keys included."""
    found: set[str] = set()
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            found.add(item)
        elif isinstance(item, dict):
            found.update(item)
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return found
