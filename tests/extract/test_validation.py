"""The schema check of input documents: fastjsonschema's code, rewritten without `locals()` and kept
in the cache directory, accepts and refuses exactly what jsonschema does."""

from __future__ import annotations

import copy
from pathlib import Path

import pytest

from regate.extract import validation
from regate.extract.base import ExtractOptions
from regate.extract.document import build_document
from regate.extract.registry import extract_path

GRYPE = Path(__file__).resolve().parents[1] / "fixtures" / "realworld" / "grype" / "defectdojo_debian10_grype_check-all-fields.json"


@pytest.fixture(scope="module")
def document() -> dict:
    return build_document([extract_path(GRYPE, ExtractOptions(run_syft=False))])


def _mutations(document: dict):
    """Documents that break the schema in the places the rewritten code names with a local
    (collection keys, list indexes), and the valid document itself."""
    yield "valid", document
    package_key, vuln_key = next(iter(document["packages"])), next(iter(document["vulnerabilities"]))
    cases = {
        "package name a number": ("packages", package_key, "name", 1),
        "vulnerability severity unknown word": ("vulnerabilities", vuln_key, "severity", "dire"),
        "vulnerability extra field": ("vulnerabilities", vuln_key, "exploit", True),
        "fix versions not strings": ("vulnerabilities", vuln_key, "fix", {"state": "fixed", "available": True, "versions": [1]}),
        "aliases item a list": ("vulnerabilities", vuln_key, "aliases", ["CVE-1", ["x"]]),
    }
    for label, (collection, key, field, value) in cases.items():
        broken = copy.deepcopy(document)
        broken[collection][key][field] = value
        yield label, broken
    missing = copy.deepcopy(document)
    del missing["vulnerabilities"][vuln_key]["package"]
    yield "vulnerability without package", missing


def test_the_fast_check_agrees_with_jsonschema(document):
    assert document["vulnerabilities"] and document["packages"]
    for label, candidate in _mutations(document):
        slow = list(validation._validator().iter_errors(candidate))
        try:
            validation._fast_check()(candidate)
            fast_refuses = False
        except validation.fastjsonschema.JsonSchemaException:
            fast_refuses = True
        assert fast_refuses == bool(slow), label
        assert (label == "valid") == (not slow), label


def test_the_rewritten_code_calls_locals_nowhere_and_keeps_what_is_not_a_plain_name():
    source = validation.fastjsonschema.compile_to_code(copy.deepcopy(validation.input_schema()))
    assert source.count("**locals()") > 10
    assert "locals()" not in validation._without_locals(source)
    kept = '"x[{a[0]}]".format(**locals())'
    assert validation._without_locals(f"y = {kept}") == f"y = {kept}"
    assert validation._without_locals('y = "{{x}}.{a}".format(**locals())') == 'y = f"{{x}}.{a}"'


def test_the_compiled_check_is_kept_and_a_damaged_copy_is_replaced(document, tmp_path, monkeypatch):
    monkeypatch.setenv("REGATE_CACHE_DIR", str(tmp_path))
    first = validation._cached_code()
    [kept] = (tmp_path / "schema").iterdir()
    assert validation._cached_code().co_code == first.co_code
    kept.write_bytes(b"\x00damaged")
    namespace: dict = {}
    exec(validation._cached_code(), namespace)  # recompiled, and written again
    assert kept.read_bytes() != b"\x00damaged"
    [check] = [f for name, f in namespace.items() if name.endswith("_input_v1_json")]
    assert check(document) == document
