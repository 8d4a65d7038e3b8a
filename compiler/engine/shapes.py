"""Checking the shape of what OPA answers, with messages that say what was
expected and what came instead."""

from __future__ import annotations

from typing import Any

from ..errors import EngineError

_NAMES = {dict: "an object", list: "an array", str: "a string", bool: "a boolean"}


def kind_of(value: Any) -> str:
    if value is None:
        return "null"
    return _NAMES.get(type(value), "a number")


def expect(value: Any, kind: type, what: str) -> Any:
    """`value` when it is a `kind`; otherwise an EngineError naming `what`, the kind
    expected and the kind that came."""
    if not isinstance(value, kind):
        raise EngineError(f"{what} is {kind_of(value)}, expected {_NAMES[kind]}")
    return value
