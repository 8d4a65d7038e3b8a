"""Masking of found secrets: no output of regate ever carries one in full."""

from __future__ import annotations

PREFIX_LENGTH = 4
_MIN_LENGTH_TO_KEEP = 12
_LINE_BREAKS = "\r\n"


def mask_secret(secret: str, keep_prefix: bool = True) -> str:
    """Keep a short prefix so a reader can tell which credential it is; hide the rest.

    Secrets too short for a prefix to be safe, and those without a public
    prefix (`keep_prefix` false: passwords), are hidden entirely. Line breaks
    stay, so a masked multi-line secret (a private key) keeps the line numbers
    of the text around it, and a masked text keeps every offset.
    """
    keep = PREFIX_LENGTH if keep_prefix and len(secret) >= _MIN_LENGTH_TO_KEEP else 0
    return secret[:keep] + "".join(c if c in _LINE_BREAKS else "*" for c in secret[keep:])


def shorten(text: str, limit: int = 200) -> str:
    text = text.strip()
    return text if len(text) <= limit else text[: limit - 1] + "…"


def mask_in_line(line: str, start: int, end: int, limit: int = 200) -> str:
    """The line with the secret between `start` and `end` masked, cut to `limit` characters."""
    return shorten(line[:start] + mask_secret(line[start:end]) + line[end:], limit)
