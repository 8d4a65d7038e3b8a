"""Files shipped inside the package: the grammar, the Rego library, the schema."""

from __future__ import annotations

import json
from functools import cache
from importlib import resources
from importlib.resources.abc import Traversable

INPUT_SCHEMA_VERSION = 1


def grammar_file() -> Traversable:
    return resources.files("regate.grammar") / "regate.lark"


def rego_library() -> Traversable:
    return resources.files("regate.rego")


def iter_rego_library() -> list[tuple[str, str]]:
    """(bundle path, source) of every non-test module of the Rego library, sorted."""
    found: list[tuple[str, str]] = []

    def walk(node: Traversable, prefix: str) -> None:
        for child in node.iterdir():
            name = f"{prefix}{child.name}"
            if child.is_dir():
                walk(child, name + "/")
            elif child.name.endswith(".rego") and not child.name.endswith("_test.rego"):
                found.append((name, child.read_text(encoding="utf-8")))

    walk(rego_library(), "")
    return sorted(found)


@cache
def input_schema() -> dict:
    text = (resources.files("regate") / "schema" / f"input-v{INPUT_SCHEMA_VERSION}.json").read_text("utf-8")
    return json.loads(text)
