"""Structural mutations of scanner JSON.

A mutation walks from the root to a random node and replaces it, copying only
the containers on the way (seeds are shared, never modified). Values JSON
libraries will not write — numbers of 5,000 digits, `1e999`, NaN, duplicate
keys, lone surrogates — are `Raw` text spliced in by `dumps`.
"""

from __future__ import annotations

import json
import random
from dataclasses import dataclass


@dataclass(frozen=True)
class Raw:
    """JSON text written as is."""

    text: str


@dataclass(frozen=True)
class Pairs:
    """An object written from (key, value) pairs, so a key may repeat."""

    items: tuple


SCALARS = (None, True, False, 0, -1, 1, 2 ** 31, 2 ** 63, 2 ** 64, -(2 ** 63) - 1, 0.5, -0.0, 1e308, 5e-324, "", " ",
           "²", "³", "¹²", "٣", "①", "1e999", "NaN", "Infinity", "-Infinity", "nan", "0x10", "1_000", "  7 ", "-1",
           "99999999999999999999", "1.5", "10.0", "CRITICAL", "critical", "High", "unknown", "é", "\u2028", "\ufeff",
           "a\u0000b", "\u202e", "\U0001F600", "x" * 100000, "../../etc/passwd", "/", "sha256:", "2024-13-45",
           "AKIA2E0A8F3B244C9986", "pkg:deb/debian/x@1?arch=amd64", "pkg:", "cpe:2.3:a", "CVE-", "{}", "[]")
RAW = ("9" * 5000, "-" + "9" * 5000, "1e999", "-1e999", "1e-999", "NaN", "Infinity", "-Infinity", "1" + "0" * 400 + ".5",
       '"\\ud800"', '"\\udfff"', '"\\u0000"', '"\\ud83d\\ude00"', "0." + "0" * 5000 + "1", "1E+2", "-0")


GROW_BYTES = 1 << 20


def _deep(rng: random.Random) -> object:
    depth = rng.choice((100, 255, 256, 257, 1000, 100000))
    opener, closer = rng.choice((("[", "]"), ('{"a":', "}")))
    return Raw(opener * depth + "1" + closer * depth)


def _route(rng: random.Random, doc) -> list:
    """Keys from the root to a random node, descending with decreasing probability of stopping."""
    keys, node = [], doc
    while isinstance(node, (dict, list)) and node and rng.random() < 0.85:
        key = rng.choice(list(node)) if isinstance(node, dict) else rng.randrange(len(node))
        keys.append(key)
        node = node[key]
    return keys


def _get(doc, keys):
    for key in keys:
        doc = doc[key]
    return doc


def _replace(doc, keys, new):
    """`doc` with the node at `keys` replaced by new(old); `new` may return `_DROP`."""
    if not keys:
        return new(doc)
    copy = dict(doc) if isinstance(doc, dict) else list(doc)
    child = _replace(doc[keys[0]], keys[1:], new)
    if child is _DROP:
        del copy[keys[0]]
    else:
        copy[keys[0]] = child
    return copy


_DROP = object()


def type_swap(rng, node):
    return rng.choice(SCALARS + ({}, [], {"": None}, [None]))


def raw_value(rng, node):
    return Raw(rng.choice(RAW))


def deep(rng, node):
    return _deep(rng)


def drop(rng, node):
    return _DROP


def duplicate_key(rng, node):
    if isinstance(node, dict) and node:
        items = list(node.items())
        key, value = rng.choice(items)
        return Pairs(tuple(items) + ((key, rng.choice(SCALARS)),))
    return node


def rename_key(rng, node):
    if isinstance(node, dict) and node:
        key = rng.choice(list(node))
        renamed = rng.choice(("", key.upper(), key + "\u0000", "\ud800", key + " ", "__proto__", "$ref", key * 50))
        return {renamed if k == key else k: v for k, v in node.items()}
    return node


def grow(rng, node):
    """Many copies of an item or entry: long arrays and objects with many keys."""
    count = rng.choice((2, 100, 5000))
    if isinstance(node, list) and node:
        item = rng.choice(node)
        return node + [item] * _copies(count, item)
    if isinstance(node, dict) and node:
        key, value = rng.choice(list(node.items()))
        return {**node, **{f"{key}{i}": value for i in range(_copies(count, value))}}
    return [node] * _copies(count, node)


def _copies(count: int, item) -> int:
    """At most about 1 MB of copies: stacked grows would otherwise multiply into gigabytes."""
    return max(1, min(count, GROW_BYTES // (len(dumps(item)) + 1)))


def wrap(rng, node):
    return rng.choice(([node], {"value": node}, [node, node]))


def string_edit(rng, node):
    if isinstance(node, str):
        cut = rng.randint(0, len(node))
        return node[:cut] + rng.choice(("\u0000", "\ud800", "²", "\n", "\u2028", "..", "%", "\\", "\"", "é" * 3)) + node[cut:]
    if isinstance(node, (int, float)) and not isinstance(node, bool):
        return rng.choice((str(node), -node, node * 10 ** 30))
    return node


STRUCTURAL = (type_swap, type_swap, raw_value, raw_value, deep, drop, drop, duplicate_key, rename_key, grow, wrap,
              string_edit, string_edit)


def mutate(rng: random.Random, doc) -> tuple[object, list[str]]:
    applied = []
    for _ in range(rng.choice((1, 1, 2, 3, 5))):
        mutation = rng.choice(STRUCTURAL)
        keys = _route(rng, doc)
        doc = _replace(doc, keys, lambda node, m=mutation: m(rng, node))
        if doc is _DROP:
            doc = {}
        applied.append(f"{mutation.__name__}@/{'/'.join(map(str, keys))}"[:120])
    return doc, applied


def dumps(value) -> str:
    """JSON text of a mutated document (lone surrogates kept as escapes, `Raw` and `Pairs` as given)."""
    if isinstance(value, Raw):
        return value.text
    if isinstance(value, Pairs):
        return "{" + ",".join(f"{json.dumps(str(k))}:{dumps(v)}" for k, v in value.items) + "}"
    if isinstance(value, dict):
        return "{" + ",".join(f"{json.dumps(str(k))}:{dumps(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list):
        return "[" + ",".join(dumps(v) for v in value) + "]"
    return json.dumps(value)


def text_mutation(rng: random.Random, text: str) -> tuple[str, str]:
    """Byte-level damage the structural mutations cannot express: truncation, a BOM, a stray character."""
    choice = rng.randrange(4)
    if choice == 0:
        return text[:rng.randint(0, len(text))], "truncate"
    if choice == 1:
        return "\ufeff" + text, "bom"
    at = rng.randint(0, len(text))
    if choice == 2:
        return text[:at] + rng.choice((",", "}", "]", '"', "\u0000", "\\", "/*x*/")) + text[at:], "stray-char"
    return text + rng.choice(("\n{}", " garbage", "\u0000", "\n" * 5)), "trailing"
