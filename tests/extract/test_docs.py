"""docs/input.md keeps up with the schema it documents."""

from __future__ import annotations

import re
from pathlib import Path

from regate.resources import input_schema

DOC = Path(__file__).resolve().parents[2] / "docs" / "input.md"


def property_names(schema) -> set[str]:
    names: set[str] = set()
    if isinstance(schema, dict):
        for name, sub in schema.get("properties", {}).items():
            names.add(name)
            names |= property_names(sub)
        for key, value in schema.items():
            if key != "properties":
                names |= property_names(value)
    elif isinstance(schema, list):
        for item in schema:
            names |= property_names(item)
    return names


def test_every_schema_field_is_documented():
    documented = set(re.findall(r"`([a-z0-9_]+)`", DOC.read_text("utf-8")))
    missing = sorted(property_names(input_schema()) - documented)
    assert not missing, f"fields of the schema that docs/input.md does not mention: {missing}"


def test_every_enum_value_is_documented():
    text = DOC.read_text("utf-8")
    defs = input_schema()["$defs"]
    enums = {
        "file type": defs["file"]["properties"]["type"]["enum"],
        "fix state": defs["vulnerability"]["properties"]["fix"]["properties"]["state"]["enum"],
        "severity": defs["vulnerability"]["properties"]["severity"]["enum"],
        "protocol": defs["port"]["properties"]["protocol"]["enum"],
    }
    missing = {name: [v for v in values if f"`{v}`" not in text] for name, values in enums.items()}
    assert not any(missing.values()), missing
