"""Input documents against the input schema: whether one is valid, and every way it is not.

Apart from `regate.extract.document` so that checking a prepared document does not import
what building one needs (the adapters, drift, the Dockerfile reader).
"""

from __future__ import annotations

import copy
import hashlib
import json
import marshal
import re
import sys
from functools import cache
from importlib.util import MAGIC_NUMBER
from pathlib import Path
from types import CodeType
from typing import Any, Callable

import fastjsonschema

from ..errors import InputError
from ..resources import INPUT_SCHEMA_VERSION, input_schema
from .adapters.view import describe
from .secrets import mask_secrets


@cache
def _validator():
    from jsonschema import Draft202012Validator  # only for a document fastjsonschema rejects: it imports slowly

    return Draft202012Validator(input_schema())


@cache
def _fast_check() -> Callable[[Any], Any]:
    """The schema compiled to Python: about 8x faster than jsonschema, but it stops at the first
    problem, so a document it rejects goes through jsonschema for the full list. The compiled code
    is kept in the cache directory: generating and compiling its 400 kB of source costs a tenth of
    a second, on every run."""
    schema = copy.deepcopy(input_schema())  # fastjsonschema annotates the schema it is given
    name = fastjsonschema.RefResolver.from_schema(schema, handlers={}, store={}).get_scope_name()
    namespace: dict[str, Any] = {}
    exec(_cached_code(), namespace)
    return namespace[name]


def _cached_code():
    from ..atomic import write_atomically
    from ..cache import cache_dir, mark_used, prune

    schema = copy.deepcopy(input_schema())
    # This module's own text is in the key: it rewrites the generated code.
    identity = json.dumps([schema, fastjsonschema.VERSION, Path(__file__).read_text("utf-8"), MAGIC_NUMBER.hex()],
                          sort_keys=True)
    key = hashlib.sha256(identity.encode()).hexdigest()[:32]
    # Bytecode is the running Python's: its magic number is in the key, its cache tag in the name.
    path = cache_dir() / "schema" / f"input-{key}.{sys.implementation.cache_tag}.marshal"
    try:
        code = marshal.loads(path.read_bytes())
        if isinstance(code, CodeType):
            mark_used(path)
            return code
    except (OSError, EOFError, ValueError, TypeError):
        pass
    code = compile(_without_locals(fastjsonschema.compile_to_code(schema)), f"<input schema v{INPUT_SCHEMA_VERSION}>", "exec")
    try:
        write_atomically(path, marshal.dumps(code), make_parents=True)
    except Exception:  # noqa: BLE001 - an unwritable cache only costs the next run the compile
        pass
    prune(path.parent)  # the checks of older schemas and Pythons
    return code


# fastjsonschema names every element it descends into with `"...{var}...".format(**locals())`, which
# copies the function's locals each time: 60% of the time a 10,000-package document takes.
_FORMAT_LOCALS = re.compile(r'"((?:[^"\\]|\\.)*)"\.format\(\*\*locals\(\)\)')
_FIELD = re.compile(r"(?<!\{)\{([^{}]*)\}")


def _without_locals(source: str) -> str:
    """The same code with each such call an f-string, which means the same while every field is a
    plain local name (a field like `{a.b}` or `{a[0]}` is kept as it is)."""

    def rewrite(match: re.Match) -> str:
        literal = match.group(1)
        if all(field.isidentifier() for field in _FIELD.findall(literal)):
            return f'f"{literal}"'
        return match.group(0)

    return _FORMAT_LOCALS.sub(rewrite, source)


def schema_errors(document: Any) -> list[tuple[str, str]]:
    """(JSON Pointer, message) of every way `document` departs from the input schema."""
    try:
        _fast_check()(document)
        return []
    except fastjsonschema.JsonSchemaException:
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
