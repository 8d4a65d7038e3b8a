"""Numbers read from untrusted text: tool output, /etc/passwd, tar headers.

`str.isdigit` accepts superscripts ("²") that `int()` rejects, and `int()`
refuses more than 4,300 digits; both used to surface as tracebacks. Every
integer an input spells in text goes through `decimal`.
"""

from __future__ import annotations

import re

# uids, sizes, line numbers, epochs and modes all fit in 64 bits; OPA reads
# larger integers with a loss of precision.
INT_LIMIT = 1 << 63

_DECIMAL = re.compile(r"-?[0-9]{1,19}", re.ASCII)


def decimal(text: str, signed: bool = False) -> int | None:
    """The value of `text` when it is a plain ASCII decimal integer in 64-bit range, else None."""
    text = text.strip()
    if not _DECIMAL.fullmatch(text) or (not signed and text.startswith("-")):
        return None
    value = int(text)
    return value if in_range(value) else None


def in_range(value: int) -> bool:
    return -INT_LIMIT <= value < INT_LIMIT


def clip(text: str) -> str:
    """Text found where a number belongs, cut short for a message (it may run to thousands of digits)."""
    return text if len(text) <= 40 else text[:20] + "…"
