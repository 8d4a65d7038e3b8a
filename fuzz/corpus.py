"""Seed inputs the mutators start from, loaded in a fixed order.

Policies: the examples and every policy of the compiler's golden and case
tests. Scanner JSON: the real-world fixtures and the example inputs, with
long arrays cut to a few items (mutating 1,500 Grype matches finds nothing
that 8 do not, and costs 100 times more per case). Images: the known-content
images of tests/support/images.py plus small crafted ones.
"""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import yaml

from .tarcraft import Image, Member, from_spec

ROOT = Path(__file__).resolve().parent.parent
MAX_ARRAY_ITEMS = 8


@dataclass(frozen=True)
class Seed:
    name: str
    value: object  # str (policy), parsed JSON, or Image


def _rel(path: Path) -> str:
    return str(path.relative_to(ROOT))


@cache
def policy_seeds() -> tuple[Seed, ...]:
    seeds = [Seed(_rel(p), p.read_text(encoding="utf-8")) for p in sorted((ROOT / "examples").rglob("*.regate"))]
    seeds += [Seed(_rel(p), p.read_text(encoding="utf-8"))
              for p in sorted((ROOT / "tests/compiler/golden").rglob("*.regate"))]
    for path in sorted((ROOT / "tests/compiler/cases").glob("*.yaml")):
        doc = yaml.safe_load(path.read_text(encoding="utf-8"))
        if isinstance(doc, dict) and isinstance(doc.get("policy"), str):
            seeds.append(Seed(_rel(path), doc["policy"]))
    return tuple(seeds)


def _trim(value):
    if isinstance(value, list):
        return [_trim(item) for item in value[:MAX_ARRAY_ITEMS]]
    if isinstance(value, dict):
        return {key: _trim(item) for key, item in value.items()}
    return value


@cache
def json_seeds() -> tuple[Seed, ...]:
    paths = sorted((ROOT / "tests/fixtures/realworld").rglob("*.json")) + sorted((ROOT / "examples").glob("*/inputs/*.json"))
    seeds = []
    for path in paths:
        doc = json.loads(path.read_text(encoding="utf-8"))
        seeds.append(Seed(_rel(path), _trim(doc)))
    return tuple(seeds)


def _crafted() -> list[Seed]:
    passwd = b"root:x:0:0:root:/root:/bin/sh\napp:x:1000:1000::/home/app:/bin/sh\n"
    base = (Member("etc/", type=b"5", mode=0o755), Member("etc/passwd", passwd),
            Member("etc/os-release", b'ID=debian\nVERSION_ID="12"\n'))
    lower = base + (Member("usr/", type=b"5"), Member("usr/bin/", type=b"5"),
                    Member("usr/bin/sudo", b"x" * 10, mode=0o4755), Member("app/", type=b"5"),
                    Member("app/.env", b"AWS_ACCESS_KEY_ID=AKIA2E0A8F3B244C9986\n"))
    return [
        Seed("crafted/whiteouts", Image((lower, (Member("usr/bin/.wh.sudo"), Member("app/.wh..wh..opq"))))),
        Seed("crafted/etc-dir-symlink", Image(((Member("real/", type=b"5"), Member("real/passwd", passwd),
                                                 Member("etc", type=b"2", linkname="/real")),))),
        Seed("crafted/links", Image((base + (Member("etc/group", type=b"1", linkname="etc/passwd"),
                                             Member("etc/shadow", type=b"2", linkname="passwd")),), oci=True)),
    ]


@cache
def image_seeds() -> tuple[Seed, ...]:
    sys.path.insert(0, str(ROOT / "tests"))
    try:
        from support.images import BAD, GOOD, build_image
    finally:
        sys.path.remove(str(ROOT / "tests"))
    return (Seed("images.py/BAD", from_spec(build_image(BAD))), Seed("images.py/GOOD", from_spec(build_image(GOOD))),
            *_crafted())
