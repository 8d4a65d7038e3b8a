"""Shortcuts for the extractor tests: the copied real-world corpus and extraction with an independent schema check."""

from __future__ import annotations

import json
from pathlib import Path

from jsonschema import Draft202012Validator

from regate.extract.base import ExtractOptions
from regate.extract.document import build_document
from regate.extract.registry import extract_path
from regate.resources import input_schema

CORPUS = Path(__file__).resolve().parent.parent / "fixtures" / "realworld"


def corpus(name: str) -> Path:
    return CORPUS / name


def raw(name: str):
    return json.loads(corpus(name).read_text("utf-8"))


def schema_violations(document: dict) -> list[str]:
    return [f"{list(e.absolute_path)}: {e.message}" for e in Draft202012Validator(input_schema()).iter_errors(document)]


def extract(*paths: Path | str, baseline: dict | None = None) -> dict:
    """The input document regate builds from these files, checked against the schema independently."""
    extractions = [extract_path(Path(p), ExtractOptions()) for p in paths]
    document = build_document(extractions, baseline)
    violations = schema_violations(document)
    assert not violations, violations[:5]
    return document
