"""Shrinking a case while it still shows the same signature.

Delta debugging over lines, then over characters, for text; for JSON first
dropping object members and array items. Each try runs the case again in the
sandbox, so the number of tries is capped.
"""

from __future__ import annotations

import json
from typing import Callable

from .json_mutator import Raw, dumps

MAX_TRIES = 150


class _Budget:
    def __init__(self, still_fails: Callable[[bytes], bool]):
        self.still_fails, self.left = still_fails, MAX_TRIES

    def __call__(self, data: bytes) -> bool:
        if self.left <= 0:
            return False
        self.left -= 1
        return self.still_fails(data)


def _ddmin(parts: list, join: Callable[[list], bytes], fails: _Budget) -> list:
    chunks = 2
    while len(parts) >= 2 and fails.left > 0:
        size = max(1, len(parts) // chunks)
        reduced = False
        for start in range(0, len(parts), size):
            candidate = parts[:start] + parts[start + size:]
            if candidate and fails(join(candidate)):
                parts, chunks, reduced = candidate, max(chunks - 1, 2), True
                break
        if not reduced:
            if size == 1:
                break
            chunks = min(len(parts), chunks * 2)
    return parts


def _shrink_json(data: bytes, fails: _Budget) -> bytes:
    # Numbers stay the text they were (1e999 would come back as Infinity, a 5000-digit integer not at all).
    as_text = Raw
    try:
        doc = json.loads(data, parse_float=as_text, parse_int=as_text, parse_constant=as_text)
    except (ValueError, RecursionError):
        return data
    encode = lambda d: dumps(d).encode("utf-8", "surrogatepass")  # noqa: E731
    if not isinstance(doc, (dict, list)) or not fails(encode(doc)):
        return data  # re-encoding changes what the case shows (e.g. 1e999 becomes Infinity)
    queue = [doc]  # containers still inside `doc`: removing their items edits `doc` in place
    while queue and fails.left > 0:
        node = queue.pop(0)
        keys = list(node) if isinstance(node, dict) else list(range(len(node)))
        for key in reversed(keys):  # from the end, so list indexes not yet tried stay valid
            removed = node.pop(key)
            if fails(encode(doc)):
                continue
            if isinstance(node, dict):
                node[key] = removed
            else:
                node.insert(key, removed)
            if isinstance(removed, (dict, list)):
                queue.append(removed)
    return encode(doc)


def minimize(data: bytes, still_fails: Callable[[bytes], bool], json_like: bool = False) -> bytes:
    fails = _Budget(still_fails)
    if json_like:
        data = _shrink_json(data, fails)
    lines = data.split(b"\n")
    data = b"\n".join(_ddmin(lines, lambda p: b"\n".join(p), fails))
    chars = [data[i:i + 1] for i in range(len(data))] if len(data) <= 4000 else [data]
    return b"".join(_ddmin(chars, b"".join, fails))
