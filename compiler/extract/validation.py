"""Input documents against the input schema: whether one is valid, and every way it is not.

Apart from `regate.extract.document` so that checking a prepared document does not import
what building one needs (the adapters, drift, the Dockerfile reader).
"""

from __future__ import annotations

import json
from functools import cache
from typing import Any, Callable

import jsonschema_rs

from ..errors import InputError
from ..resources import INPUT_SCHEMA_VERSION, input_schema
from .adapters.view import describe
from .secrets import mask_secrets


@cache
def _validator():
    from jsonschema import Draft202012Validator  # only for a document the fast check refuses: it imports slowly

    return Draft202012Validator(input_schema())


@cache
def _fast_check() -> Callable[[Any], bool]:
    """Whether a document fits the schema, from jsonschema-rs (Rust): about 15x faster than
    fastjsonschema's generated Python (2.5 vs 35-40 ms of CPU at 10,000 packages, 0.2 vs 2.8 ms at
    1,000), but it only says yes or no, so a document it refuses goes through jsonschema for the
    full list. jsonschema decides: tests/extract/test_validation.py shows that the two agree."""
    return jsonschema_rs.Draft202012Validator(input_schema()).is_valid


def schema_errors(document: Any) -> list[tuple[str, str]]:
    """(JSON Pointer, message) of every way `document` departs from the input schema."""
    try:
        if _fast_check()(document):
            return []
    except ValueError:  # a value JSON has no type for (a YAML date, a lone surrogate): jsonschema judges it
        pass
    out = []
    for error in sorted(_validator().iter_errors(document), key=lambda e: list(map(str, e.absolute_path))):
        pointer = "".join("/" + str(part).replace("~", "~0").replace("/", "~1") for part in error.absolute_path)
        out.append((pointer or "/", _schema_message(error)))
    return out


def _schema_message(error) -> str:
    """What the schema expects at the offending place, never the value found there:
    a malformed document may hold a secret in any field."""
    expected = error.validator_value
    if error.validator == "type":
        types = " or ".join(expected) if isinstance(expected, list) else expected
        return f"expected {types}, found {describe(error.instance)}"
    if error.validator == "enum":
        return "expected one of " + ", ".join(map(json.dumps, expected))
    if error.validator == "const":
        return f"expected {json.dumps(expected)}"
    if error.validator == "required":
        return error.message  # names the missing property, from the schema
    if error.validator == "additionalProperties" and isinstance(error.instance, dict):
        allowed = error.schema.get("properties", {})
        unexpected = ", ".join(json.dumps(mask_secrets(name)) for name in error.instance if name not in allowed)
        return f"unexpected properties: {unexpected}"
    return f"fails the schema's {error.validator} constraint {json.dumps(expected)}"


def is_input_document(doc: Any) -> bool:
    """A regate input document (the output of `regate extract`), rather than a tool's output."""
    return isinstance(doc, dict) and "schema_version" in doc


def load_input_document(doc: Any, path: str, hint: str) -> dict:
    """A prepared input document, refused with the offending JSON Pointer when it departs from the
    schema: rules silently not matching a misspelt field would be a pass nobody earned."""
    if not is_input_document(doc) or doc.get("schema_version") != INPUT_SCHEMA_VERSION:
        raise InputError(path, f"is not a regate input document (schema_version {INPUT_SCHEMA_VERSION}); {hint}")
    errors = schema_errors(doc)
    if errors:
        pointer, message = errors[0]
        more = f" (and {len(errors) - 1} more problems)" if len(errors) > 1 else ""
        raise InputError(path, f"is not a valid regate input document: {message[:300]}{more}", pointer)
    return doc
