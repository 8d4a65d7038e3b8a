"""Files shipped inside the package: the grammar, the Rego library, the schema."""

from __future__ import annotations

import json
import re
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


_PACKAGE = re.compile(r"^package\s+([\w.]+)", re.MULTILINE)
_DATA_REF = re.compile(r"\bdata\.([\w.]+)")


def library_for(sources: list[str], also: tuple[str, ...] = ()) -> list[tuple[str, str]]:
    """(bundle path, source) of the library modules that `sources` need, sorted.

    The decision is always needed; a package comes with every package its modules
    refer to (`data.regate.lib.version...`, `import data.regate.lib.clock`), and
    `also` names packages needed by queries the bundle does not contain (`regate
    test` asks `data.regate.testing`). A library package nothing refers to stays
    out: every `opa eval` of the bundle would parse and compile it for nothing.
    """
    by_package: dict[str, list[tuple[str, str]]] = {}
    for path, source in iter_rego_library():
        by_package.setdefault(_PACKAGE.search(source).group(1), []).append((path, source))
    wanted = {"regate.decision", *also}
    pending = list(sources) + [source for name in wanted for _, source in by_package.get(name, [])]
    while pending:
        for ref in _DATA_REF.findall(pending.pop()):
            for name in by_package.keys() - wanted:
                if ref == name or ref.startswith(name + "."):
                    wanted.add(name)
                    pending += [source for _, source in by_package[name]]
    return sorted(module for name in wanted for module in by_package.get(name, []))


@cache
def input_schema() -> dict:
    text = (resources.files("regate") / "schema" / f"input-v{INPUT_SCHEMA_VERSION}.json").read_text("utf-8")
    return json.loads(text)
