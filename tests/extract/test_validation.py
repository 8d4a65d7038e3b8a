"""The schema check of input documents: jsonschema-rs's yes/no accepts and refuses exactly what
jsonschema does, on every valid document the project has and on systematic breakages of each."""

from __future__ import annotations

import copy
import datetime
import json
from pathlib import Path

import pytest
import yaml

from regate.errors import UserError
from regate.extract import validation
from regate.extract.base import ExtractOptions
from regate.extract.document import build_document
from regate.extract.registry import extract_path
from regate.inputs import complete
from regate.resources import input_schema

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "tests" / "fixtures"
SCHEMA = input_schema()

# Keywords the mutations below are known to exercise, or that assert nothing (annotations; `format`,
# which neither jsonschema nor jsonschema-rs asserts under 2020-12 by default, tried with a string
# that is no date-time). A new keyword (a `pattern`, whose regex dialects differ; `uniqueItems`;
# `minLength`...) needs mutations of its own here first.
COVERED_KEYWORDS = {"$schema", "$id", "$defs", "$ref", "title", "description", "type", "properties",
                    "additionalProperties", "items", "required", "enum", "const", "minimum", "maximum", "format"}

# Values put in each place: every JSON type, integers written as floats, fractions, booleans
# (Python's are ints), integers past 64 bits, bounds of the schema's minimum/maximum, strings
# of no enum and no date-time, a lone surrogate (which jsonschema-rs cannot take: jsonschema decides).
VALUES = [None, True, 0, -1, 1.0, 1.5, 65536, 2**64, -(2**63) - 1, "", "2026-13-45T99:00:00Z", "\ud800",
          [], [None], ["x"], [{}], {}, {"x": 1}]


def _documents_in_files() -> list[tuple[str, dict]]:
    found = []
    for path in sorted([*FIXTURES.rglob("*.json"), *(ROOT / "examples").rglob("*.json")]):
        try:
            doc = json.loads(path.read_text("utf-8"))
        except (UnicodeDecodeError, ValueError):
            continue
        if validation.is_input_document(doc):
            found.append((str(path.relative_to(ROOT)), doc))
    return found


def _documents_extracted() -> list[tuple[str, dict]]:
    """What `regate extract` builds from each scanner or image file of the fixtures and examples."""
    built = []
    for path in sorted([*FIXTURES.rglob("*.json"), *(ROOT / "examples").rglob("*.json")]):
        try:
            built.append((f"extract {path.relative_to(ROOT)}", build_document([extract_path(path, ExtractOptions(run_syft=False))])))
        except UserError:  # an input document, a policy file, a near miss: not an image's analysis
            continue
    return built


def _documents_of_test_cases() -> list[tuple[str, dict]]:
    """The inline inputs of the examples' test cases, completed as `regate test` completes them."""
    found = []
    for path in sorted((ROOT / "examples").glob("*/*_test.yaml")):
        for case in yaml.safe_load(path.read_text("utf-8"))["cases"]:
            if "input" in case and not any(key.startswith("input_file") for key in case):
                found.append((f"{path.relative_to(ROOT)}: {case['name']}", complete(copy.deepcopy(case["input"]))))
    return found


@pytest.fixture(scope="module")
def documents() -> list[tuple[str, dict]]:
    documents = _documents_in_files() + _documents_extracted() + _documents_of_test_cases()
    assert len(documents) > 80
    return documents


def _resolve(schema: dict) -> dict:
    while "$ref" in schema:
        schema = SCHEMA["$defs"][schema["$ref"].removeprefix("#/$defs/")]
    return schema


def _same_verdict(document, where: str) -> None:
    expected = validation._validator().is_valid(document)
    try:
        assert validation._fast_check()(document) == expected, where
    except ValueError:  # no JSON type (the lone surrogate): schema_errors asks jsonschema
        assert (validation.schema_errors(document) == []) == expected, where


def _trimmed(value, schema: dict):
    """`value` with one entry per collection and list: the schema relates no two entries, and
    each breakage is then checked on a document jsonschema reads in a millisecond."""
    schema = _resolve(schema)
    if isinstance(value, dict):
        properties, extra = schema.get("properties", {}), schema.get("additionalProperties", True)
        entries = [key for key in value if key not in properties][:1]
        return {key: _trimmed(item, properties.get(key, extra if isinstance(extra, dict) else {}))
                for key, item in value.items() if key in properties or key in entries}
    if isinstance(value, list):
        return [_trimmed(item, schema.get("items", {})) for item in value[:1]]
    return value


def _example(schema: dict):
    """A small value of `schema`'s first type with its required properties: what a place no
    document fills holds while it is broken."""
    schema = _resolve(schema)
    if "const" in schema or "enum" in schema:
        return schema.get("const", (schema.get("enum") or [None])[0])
    kind = schema.get("type", "null")
    kind = kind[0] if isinstance(kind, list) else kind
    if kind == "object":
        return {name: _example(schema["properties"][name]) for name in schema.get("required", ())}
    return {"array": [], "string": "x", "integer": 0, "number": 0.5, "boolean": False}.get(kind)


def _breakages(value, schema: dict, where: str, seen: set[str]):
    """Each way to break (or keep) `value` in place at every place of `schema` not yet `seen`,
    yielded after the change and undone after: values of each kind in each property, present or
    not, and in each collection and list entry; each required property removed; a property the
    schema does not name. A place the document leaves empty is filled with an example first."""
    schema = _resolve(schema)
    if isinstance(value, dict):
        properties, extra = schema.get("properties", {}), schema.get("additionalProperties", True)
        if where not in seen:
            seen.add(where)
            for name in properties:
                had, old = name in value, value.get(name)
                for new in VALUES:
                    value[name] = new
                    yield f"{where}/{name} = {new!r}"
                if had:
                    value[name] = old
                    if name in schema.get("required", ()):
                        del value[name]
                        yield f"{where}/{name} removed"
                        value[name] = old
                else:
                    del value[name]
            for new in VALUES[:3]:
                value["regate-unexpected"] = new
                yield f"{where}/regate-unexpected = {new!r}"
            del value["regate-unexpected"]
        empty = {name: name in value for name in properties if value.get(name) is None}  # name: present (null)
        if isinstance(extra, dict) and not value.keys() - properties.keys():
            empty["example-entry"] = False
        for name in empty:
            value[name] = _example(properties.get(name, extra))
        for key, item in list(value.items()):
            if key not in properties and isinstance(extra, dict) and f"{where}/* replaced" not in seen:
                seen.add(f"{where}/* replaced")
                for new in VALUES:
                    value[key] = new
                    yield f"{where}/{key} = {new!r}"
                value[key] = item
            sub = properties.get(key, extra if isinstance(extra, dict) else None)
            if sub is not None:
                yield from _breakages(item, sub, f"{where}/{key if key in properties else '*'}", seen)
        for name, present in empty.items():
            if present:
                value[name] = None
            else:
                del value[name]
    elif isinstance(value, list) and isinstance(schema.get("items"), dict):
        if where not in seen:
            seen.add(where)
            for new in VALUES:
                value.append(new)
                yield f"{where}/- = {new!r}"
                value.pop()
        example = [] if value else [_example(schema["items"])]
        value.extend(example)
        yield from _breakages(value[0], schema["items"], f"{where}/0", seen)
        del value[len(value) - len(example):]


def test_the_schema_uses_only_keywords_the_breakages_cover():
    def keywords(node, in_properties=False):
        if isinstance(node, dict):
            for key, item in node.items():
                if not in_properties:
                    yield key
                yield from keywords(item, key in ("properties", "$defs") and not in_properties)
        elif isinstance(node, list):
            for item in node:
                yield from keywords(item)

    used = {k for k in keywords(SCHEMA) if not k.startswith("x-regate-")}
    assert used <= COVERED_KEYWORDS, sorted(used - COVERED_KEYWORDS)


def test_every_document_the_project_has_is_judged_alike(documents):
    for where, document in documents:
        _same_verdict(document, where)
    refused = [where for where, document in documents if validation.schema_errors(document)]
    assert refused == ["tests/fixtures/secrets/bad_doc_with_secret.json"]  # made invalid on purpose


def _places(schema: dict, where: str = "") -> set[str]:
    """Where `schema` has objects or lists, named as `_breakages` names them."""
    schema = _resolve(schema)
    places = set()
    properties, extra = schema.get("properties", {}), schema.get("additionalProperties")
    if properties or isinstance(extra, dict):
        places.add(where)
        for name, sub in properties.items():
            places |= _places(sub, f"{where}/{name}")
        if isinstance(extra, dict):
            places |= _places(extra, f"{where}/*")
    if isinstance(schema.get("items"), dict):
        places |= {where} | _places(schema["items"], f"{where}/0")
    return places


def test_every_breakage_is_judged_alike(documents):
    seen: set[str] = set()
    count = 0
    for label, document in documents:
        trimmed = _trimmed(document, SCHEMA)
        for change in _breakages(trimmed, SCHEMA, "", seen):
            _same_verdict(trimmed, f"{label}: {change}")
            count += 1
    assert _places(SCHEMA) <= seen
    assert count > 5000


def test_a_value_json_has_no_type_for_is_judged_by_jsonschema():
    [(_, document)] = [d for d in _documents_in_files() if d[0].endswith("production/inputs/clean.json")]
    document = copy.deepcopy(document)
    document["image"]["tag"] = "\ud800"  # a string: accepted though jsonschema-rs cannot read it
    assert validation.schema_errors(document) == []
    document["image"]["tag"] = datetime.date(2026, 1, 1)  # as YAML reads a date: refused with jsonschema's pointer
    assert validation.schema_errors(document) == [("/image/tag", "expected string, found date")]
