"""Reading JSON that may be hostile: bounded in size and nesting, errors with positions.

Python's parser recurses once per nesting level and gives up (RecursionError)
near 1,000; regate refuses anything nested deeper than `MAX_JSON_DEPTH` so the
code after the parser never meets such a document. NaN and Infinity are not
JSON (OPA rejects them) and are refused too, as are number literals too large
for a double (`1e999`), which Python would read as Infinity.
"""

from __future__ import annotations

import json
import math
import os
import re
from pathlib import Path
from typing import Any

from ..collector import paused
from ..errors import InputError
from .numbers import clip

MAX_JSON_BYTES = 512 * 1024 * 1024
MAX_JSON_DEPTH = 256
# Files read as one JSON document per line; anything else is one document.
JSON_LINES = (".jsonl", ".ndjson")
_JSON_START = (b"{", b"[")

# orjson is imported where it parses: a check's early start (regate.early) reads its input with
# this module before OPA starts, and orjson's import (~10 ms with the modules it loads) comes after.


def starts_like_json(path: Path) -> bool:
    with open(path, "rb") as handle:
        return handle.read(4096).lstrip(b"\xef\xbb\xbf \t\r\n").startswith(_JSON_START)


def _escape(token: object) -> str:
    return str(token).replace("~", "~0").replace("/", "~1")


def check_depth(doc: Any, path: str, max_depth: int = MAX_JSON_DEPTH) -> None:
    """Refuse documents nested deeper than `max_depth`, naming the place (iteratively: no recursion).
    Only for what the slow parser read: orjson checks the depth of everything else while parsing."""
    # Level by level, containers only, nothing remembered: cheap enough for every input; a document
    # that is too deep is walked again to name where.
    level, depth = [doc], 1
    while level:
        if depth > max_depth:
            _refuse_depth(doc, path, max_depth)
        below = []
        for value in level:
            children = value.values() if type(value) is dict else value
            below += [child for child in children if type(child) is dict or type(child) is list]
        level, depth = below, depth + 1


def _refuse_depth(doc: Any, path: str, max_depth: int) -> None:
    # Each stack item carries its route as (key, parent route), turned into a pointer only for the error.
    stack: list[tuple[Any, int, tuple | None]] = [(doc, 1, None)]
    while stack:
        value, depth, route = stack.pop()
        if depth > max_depth:
            keys = []
            while route is not None:
                key, route = route
                keys.append(_escape(key))
            pointer = "/" + "/".join(reversed(keys))
            where = pointer if len(pointer) <= 60 else pointer[:60] + "…"
            raise InputError(path, f"JSON nested deeper than {max_depth} levels (under {where}); "
                                   "no image analysis format nests that deep")
        children = value.items() if isinstance(value, dict) else enumerate(value)
        for key, child in children:
            if isinstance(child, (dict, list)):
                stack.append((child, depth + 1, (key, route)))


_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F]")


def _refuse_lone_surrogates(doc: Any, path: str) -> None:
    """A `\\ud800` escape without its pair is legal JSON text but no Unicode string: it cannot be
    written as UTF-8 (nor read by OPA), so it is refused here, naming where it is."""
    stack: list[tuple[Any, str]] = [(doc, "")]
    while stack:
        value, pointer = stack.pop()
        if isinstance(value, str):
            texts = [value]
        elif isinstance(value, dict):
            texts = list(value)
            stack.extend((child, f"{pointer}/{_escape(key)}") for key, child in value.items())
        elif isinstance(value, list):
            texts = []
            stack.extend((child, f"{pointer}/{index}") for index, child in enumerate(value))
        else:
            continue
        for text in texts:
            try:
                text.encode("utf-8")
            except UnicodeEncodeError:
                where = pointer if len(pointer) <= 60 else pointer[:60] + "…"
                raise InputError(path, f"a string at {where or '/'} holds half of a UTF-16 surrogate pair "
                                       "(an unpaired \\uD800-\\uDFFF escape), which is not text") from None


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not valid JSON")


def _finite_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise ValueError(f"the number {clip(text)} is out of range (larger than a double can hold)")
    return value


# orjson refuses documents nested deeper than 1,024 levels (its documented limit). Read inside
# 1,024 - `max_depth` arrays, a document is refused by orjson exactly when it nests deeper than
# `max_depth`: the depth is checked while parsing instead of by a walk over every value after it.
ORJSON_MAX_DEPTH = 1024


class _NotOneDocument(Exception):
    """The text closed the arrays around it and opened others (`1],[2`): no JSON document."""


class _WideInteger(Exception):
    """The text may hold an integer beyond 64 bits, which orjson reads as a float."""


# orjson reads an integer beyond 64 bits (above 18446744073709551615 or below -9223372036854775808)
# as the nearest float, where OPA and the json module read it exactly: such an integer has 19 digits
# or more. A text with no run of 19 digits holds none (a C-speed pass, ~1 ms per MB); one with such
# a run holds one only where the run is a whole number in the JSON (digests and ids in strings are
# not: RE2, linear, only then).
_DIGITS_AS_ZERO = str.maketrans("123456789", "000000000")
_NINETEEN_DIGITS = "0" * 19
_WIDE_INTEGER = r"(?:^|[:\[,])\s*-?[0-9]{19,}\s*(?:[,\]}]|$)"


def may_hold_wide_integer(text: str) -> bool:
    """Whether the JSON `text` may hold an integer orjson cannot read exactly."""
    if _NINETEEN_DIGITS not in text.translate(_DIGITS_AS_ZERO):
        return False
    import re2

    return re2.search(_WIDE_INTEGER, text) is not None


def loads_exactly(text: str) -> Any:
    """JSON `text` as orjson reads it, or as the json module does when it may hold an integer beyond
    64 bits (`may_hold_wide_integer`); for text known to be valid JSON."""
    import orjson

    return json.loads(text) if may_hold_wide_integer(text) else orjson.loads(text)


def _parse_within_depth(text: str, max_depth: int) -> Any:
    import orjson

    padding = max(ORJSON_MAX_DEPTH - max_depth, 0)
    doc = orjson.loads("".join(("[" * padding, text, "]" * padding)))
    for _ in range(padding):
        if len(doc) != 1:
            raise _NotOneDocument
        doc = doc[0]
    return doc


def parse_json(text: str, path: str, max_depth: int = MAX_JSON_DEPTH) -> Any:
    import orjson

    if not text or text.isspace():  # (strip would copy the whole text)
        raise InputError(path, "is empty; expected a JSON document")
    try:
        # orjson is several times faster and refuses all that is refused here (NaN, 1e999, half a
        # surrogate pair, deep nesting); those, and texts that may hold integers beyond 64 bits (which
        # orjson would round), take the slow parser, which reads big integers exactly and says
        # precisely what is wrong with the rest.
        if may_hold_wide_integer(text):
            raise _WideInteger
        with paused():  # what orjson makes is a tree, with no cycles to collect
            doc = _parse_within_depth(text, max_depth)
    except (orjson.JSONDecodeError, _NotOneDocument, _WideInteger):
        doc = _parse_slowly(text, path, max_depth)
        if isinstance(doc, (dict, list)):
            check_depth(doc, path, max_depth)
    if _SURROGATE_ESCAPE.search(text):  # rare: only then is the document walked
        _refuse_lone_surrogates(doc, path)
    return doc


def _parse_slowly(text: str, path: str, max_depth: int) -> Any:
    try:
        return json.loads(text, parse_constant=_refuse_constant, parse_float=_finite_float)
    except json.JSONDecodeError as exc:
        # The decoder reports an unterminated string only when the input ends inside it.
        ends_early = exc.pos >= len(text.rstrip()) or exc.msg.startswith("Unterminated string")
        detail = f"{exc.msg}; the document ends early (truncated?)" if ends_early else exc.msg
        raise InputError(path, f"invalid JSON at line {exc.lineno} column {exc.colno}: {detail}") from None
    except RecursionError:
        raise InputError(path, f"JSON nested deeper than {max_depth} levels; no image analysis format nests that deep") from None
    except ValueError as exc:
        raise InputError(path, f"invalid JSON: {exc}") from None


def read_text(path: Path, max_bytes: int = MAX_JSON_BYTES) -> str:
    """The file's text, refusing files over `max_bytes` before reading them."""
    return decode_text(read_file_bytes(path, max_bytes), path)


def read_file_bytes(path: Path, max_bytes: int = MAX_JSON_BYTES) -> bytes:
    """The file's bytes, as `read_text` reads them (its errors but the decoding's)."""
    try:
        with open(path, "rb") as handle:
            size = os.fstat(handle.fileno()).st_size
            if size > max_bytes:
                raise InputError(str(path), f"is {size:,} bytes, over the {max_bytes:,}-byte limit for JSON input")
            # A regular file is read whole; pipes and /proc files report size 0 and are read up to the cap.
            data = handle.read(size + 1) if size else handle.read(max_bytes + 1)
            if size and len(data) > size:
                data += handle.read(max_bytes + 1 - len(data))
    except IsADirectoryError:
        raise InputError(str(path), "is a directory, not a file") from None
    except FileNotFoundError:
        raise InputError(str(path), "no such file") from None
    except PermissionError:
        raise InputError(str(path), "permission denied") from None
    if len(data) > max_bytes:  # pipes and /proc files report no size up front
        raise InputError(str(path), f"is over the {max_bytes:,}-byte limit for JSON input")
    return data


def decode_text(data: bytes, path: Path) -> str:
    """`read_file_bytes`'s bytes of `path` as text (UTF-8, a byte order mark dropped)."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InputError(str(path), f"is not UTF-8 text (invalid byte at offset {exc.start}); expected a JSON document") from None


def load_json(path: Path, max_bytes: int = MAX_JSON_BYTES, max_depth: int = MAX_JSON_DEPTH) -> Any:
    return parse_json(read_text(path, max_bytes), str(path), max_depth)
