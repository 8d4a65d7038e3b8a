"""Checking the shape of what OPA answers, with messages that say what was
expected and what came instead; the JSON of what regate posts and OPA answers,
and an input document serialised once (`Serialised`) for every engine and the
JSON report alike."""

from __future__ import annotations

import json
from typing import Any

import orjson

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


def json_body(value: Any) -> bytes:
    """`value` as the compact JSON regate posts, serialised once by orjson."""
    try:
        return orjson.dumps(value)
    except orjson.JSONEncodeError:  # integers beyond 64 bits, which the schema does not forbid everywhere
        return json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


class Serialised:
    """An input document as the JSON text OPA evaluates, made once (`serialise`): every engine
    sends these bytes, and the JSON report embeds them as they are, so the report shows the very
    document OPA decided on, and a batch does not serialise each document twice.

    A plain class, not a tuple or a dataclass: orjson would write those as JSON itself, and only
    the report's renderer may decide how these bytes are embedded."""

    __slots__ = ("json",)

    def __init__(self, json: bytes):
        self.json = json


def serialise(document: dict) -> Serialised:
    return Serialised(json_body(document))


def input_json(document: dict | Serialised) -> bytes:
    """The JSON text OPA evaluates for `document`: its bytes, serialised once, or a dict's now
    (explain's trials, the engines' own callers)."""
    return document.json if type(document) is Serialised else json_body(document)


def parse_answer(body: bytes) -> Any:
    """An answer's JSON; ValueError when it is none."""
    try:
        return orjson.loads(body)
    except orjson.JSONDecodeError:
        return json.loads(body)  # what orjson refuses and JSON allows (integers beyond 64 bits); else ValueError


def opa_message(body: bytes) -> str:
    """What an error answer says: OPA's `message`, else the first 300 characters of its text."""
    try:
        answer = parse_answer(body)
    except ValueError:
        answer = None
    if isinstance(answer, dict) and answer.get("message"):
        return str(answer["message"])
    return " ".join(body.decode("utf-8", "replace").split())[:300]
