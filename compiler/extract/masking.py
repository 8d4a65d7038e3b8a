"""Masking of found secrets: no output of regate ever carries one in full."""

from __future__ import annotations

_KEEP = 4
_MIN_LENGTH_TO_KEEP = 12


def mask_secret(secret: str) -> str:
    """Keep a short prefix so a reader can tell which credential it is; hide the rest.

    Secrets too short for a prefix to be safe are hidden entirely.
    """
    if len(secret) < _MIN_LENGTH_TO_KEEP:
        return "*" * len(secret)
    return secret[:_KEEP] + "*" * (len(secret) - _KEEP)


def mask_in_line(line: str, start: int, end: int, limit: int = 200) -> str:
    """The line with the secret between `start` and `end` masked, cut to `limit` characters."""
    masked = line[:start] + mask_secret(line[start:end]) + line[end:]
    masked = masked.strip()
    return masked if len(masked) <= limit else masked[: limit - 1] + "…"
