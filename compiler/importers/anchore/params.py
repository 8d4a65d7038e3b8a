"""A rule's parameters read with Anchore's validation (params.py): names case-insensitive,
enums exact, booleans `true`/`false` in any case, lists comma-delimited, required ones present,
unknown ones refused."""

from __future__ import annotations

import re

from ...checks.exprs import regex_problem
from ...formatter import quote
from .model import Rule


class Untranslatable(Exception):
    """A rule regate cannot import; the reason names what is wrong or missing."""


_INTEGER = re.compile(r"^\s*\d+\s*$")
_FLOAT = re.compile(r"^\s*-?\d*(\.\d*)?\s*$")


class Params:
    def __init__(self, rule: Rule, known: tuple[str, ...]):
        self.values = {p.name: p.value for p in rule.params}
        unknown = sorted(set(self.values) - set(known))
        if unknown:
            raise Untranslatable(f"{rule.gate}/{rule.trigger} has no parameter {', '.join(map(repr, unknown))}"
                                 f" (it takes {', '.join(known) or 'none'})")

    def text(self, name: str, required: bool = False) -> str | None:
        value = self.values.get(name)
        if value is not None and not isinstance(value, str):
            raise Untranslatable(f"parameter {name}={value!r} is not a string (Anchore's parameters are strings)")
        if value is None or (value == "" and not required):
            if required:
                raise Untranslatable(f"parameter {name!r} is required")
            return None
        return value

    def enum(self, name: str, allowed: tuple[str, ...], default: str | None = None, required: bool = False) -> str | None:
        value = self.text(name, required)
        if value is None:
            return default
        if value not in allowed:
            raise Untranslatable(f"parameter {name}={value!r} is not one of {', '.join(allowed)}")
        return value

    def boolean(self, name: str, default: bool | None = None) -> bool | None:
        value = self.text(name)
        if value is None:
            return default
        if value.lower() not in ("true", "false"):
            raise Untranslatable(f"parameter {name}={value!r} is not true or false")
        return value.lower() == "true"

    def integer(self, name: str, required: bool = False) -> int | None:
        value = self.text(name, required)
        if value is None:
            return None
        if not _INTEGER.match(value) or len(value.strip()) > 18:
            raise Untranslatable(f"parameter {name}={value!r} is not a whole number")
        return int(value)

    def number(self, name: str) -> float | None:
        value = self.text(name)
        if value is None:
            return None
        if not _FLOAT.match(value) or not re.search(r"\d", value) or len(value.strip()) > 18:
            raise Untranslatable(f"parameter {name}={value!r} is not a number")
        return float(value)

    def strings(self, name: str, required: bool = False) -> list[str] | None:
        value = self.text(name, required)
        if value is None:
            return None
        items = [item.strip() for item in value.strip().split(",")]
        if not all(items):
            raise Untranslatable(f"parameter {name}={value!r} is not a comma-separated list")
        return items

    def integers(self, name: str, required: bool = False) -> list[int] | None:
        items = self.strings(name, required)
        if items is None:
            return None
        if not all(_INTEGER.match(i) and len(i) <= 18 for i in items):
            raise Untranslatable(f"parameter {name}={self.values[name]!r} is not a comma-separated list of numbers")
        return [int(i) for i in items]


def string(value: str) -> str:
    """A string literal of the language."""
    return quote(value)


def message_text(value: str) -> str:
    """Literal text inside a message template: braces doubled."""
    return value.replace("{", "{{").replace("}", "}}")


def string_list(values) -> str:
    return "[" + ", ".join(string(v) if isinstance(v, str) else str(v) for v in values) + "]"


def anchored(pattern: str, what: str) -> str:
    """Python's `re.match` (anchored at the start only) as an RE2 pattern for `matches`."""
    problem = regex_problem(pattern)
    if problem is not None:
        raise Untranslatable(f"{what} {pattern!r} is not a regular expression RE2 (and so OPA) accepts: {problem}")
    return string(f"^(?:{pattern})")
