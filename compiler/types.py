"""Types of policy expressions, derived from the input document's JSON Schema.

The same schema that validates extracted documents tells the compiler which
fields exist, which are collections, and which carry ordering semantics
(`x-regate-type`: severity, version, date).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache

from .resources import input_schema

SEVERITIES = ("unknown", "negligible", "low", "medium", "high", "critical")
SEVERITY_RANK = {name: rank for rank, name in enumerate(SEVERITIES)}
HIDDEN_ROOTS = {"schema_version", "coverage", "require"}
# `new(x)`: the collections whose elements carry their own key, and the field holding it; the
# generated Rego looks the element up in `drift` by that key.
ELEMENT_KEYS = {"packages": "key", "vulnerabilities": "key", "files": "path", "users": "name",
                "image.exposed_ports": "spec", "image.env": "name", "image.labels": "name"}


@dataclass(frozen=True)
class Type:
    """kind: string number bool null date severity version list object collection any.

    `item` is the element type of lists and collections; `schema` the JSON
    Schema of objects; `ecosystem` the sibling field naming a version's
    ecosystem (or "=generic" for a fixed scheme); `key` the field a
    collection is keyed by.
    """

    kind: str
    name: str = ""
    item: "Type | None" = None
    schema: dict | None = field(default=None, compare=False, hash=False)
    ecosystem: str | None = None
    key: str | None = None
    array: bool = False  # a collection backed by a JSON array: its native keys are positions
    minimum: float | None = None
    maximum: float | None = None

    def describe(self) -> str:
        if self.kind == "list" and self.item is not None:
            return f"a list of {self.item.describe_plural()}"
        if self.kind == "collection":
            return f"the collection of {self.item.name or 'entries'}s" if self.item else "a collection"
        if self.kind == "object" and self.name:
            return f"a {self.name}"
        return {"string": "a string", "number": "a number", "bool": "a boolean", "null": "null",
                "date": "a date", "severity": "a severity", "version": "a version",
                "object": "an object", "any": "a value"}.get(self.kind, self.kind)

    def describe_plural(self) -> str:
        return {"string": "strings", "number": "numbers", "bool": "booleans", "date": "dates",
                "severity": "severities", "version": "versions"}.get(self.kind, self.describe())

    @property
    def iterable(self) -> bool:
        return self.kind in ("list", "collection")

    @property
    def is_textual(self) -> bool:
        return self.kind in ("string", "version", "severity", "date", "any")


STRING = Type("string")
NUMBER = Type("number")
BOOL = Type("bool")
NULL = Type("null")
DATE = Type("date")
SEVERITY = Type("severity")
ANY = Type("any")


def _resolve(schema: dict) -> dict:
    ref = schema.get("$ref")
    if ref:
        name = ref.rsplit("/", 1)[-1]
        return _resolve(input_schema()["$defs"][name])
    return schema


def type_of_schema(schema: dict, name: str = "") -> Type:
    schema = _resolve(schema)
    special = schema.get("x-regate-type")
    if special == "version":
        return Type("version", ecosystem=schema.get("x-regate-ecosystem", "=generic"))
    if special in ("severity", "date"):
        return Type(special)
    if "x-regate-collection" in schema:
        item_name = schema["x-regate-collection"]
        element = schema.get("additionalProperties") or schema.get("items") or {}
        item = type_of_schema(element, item_name)
        return Type("collection", name=name, item=item, key=schema.get("x-regate-key"), array="items" in schema)
    kinds = schema.get("type")
    if isinstance(kinds, list):
        kinds = next((k for k in kinds if k != "null"), "null")
    if "const" in schema and kinds is None:
        kinds = "integer" if isinstance(schema["const"], int) else "string"
    if kinds == "string":
        return STRING
    if kinds in ("integer", "number"):
        return Type("number", minimum=schema.get("minimum"), maximum=schema.get("maximum"))
    if kinds == "boolean":
        return BOOL
    if kinds == "array":
        return Type("list", item=type_of_schema(schema.get("items", {})))
    if kinds == "object":
        return Type("object", name=name, schema=schema)
    return ANY


def fields_of(t: Type) -> dict[str, dict]:
    if t.kind != "object" or t.schema is None:
        return {}
    return _resolve(t.schema).get("properties", {})


def field_type(t: Type, name: str) -> Type | None:
    props = fields_of(t)
    if name not in props:
        return None
    return type_of_schema(props[name], name)


@cache
def roots() -> dict[str, Type]:
    """Top-level names of the input document visible to policies."""
    props = input_schema()["properties"]
    return {name: type_of_schema(schema, name) for name, schema in props.items() if name not in HIDDEN_ROOTS}


def literal_type(value: object) -> Type:
    if isinstance(value, bool):
        return BOOL
    if isinstance(value, (int, float)):
        return NUMBER
    if isinstance(value, str):
        return STRING
    if value is None:
        return NULL
    if isinstance(value, list):
        kinds = {literal_type(v).kind for v in value}
        return Type("list", item=literal_type(value[0]) if len(kinds) == 1 else ANY)
    if isinstance(value, dict):
        return Type("object", schema={"properties": {}})
    return ANY
