"""Every file of the real-world corpus against its expectations (cases/corpus.yaml): the format
detected, the count of every kind of entry, spot-checked facts and the warnings of what was left out."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from corpus_helpers import CORPUS, corpus, extract
from regate.errors import InputError
from regate.extract.base import ExtractOptions
from regate.extract.registry import extract_path

CASES = yaml.safe_load((Path(__file__).parent / "cases" / "corpus.yaml").read_text("utf-8"))
READ = sorted(name for name, case in CASES.items() if "format" in case)
REFUSED = sorted(name for name, case in CASES.items() if "refused" in case)
IMAGE_LISTS = ("layers", "history", "env", "labels")
COLLECTIONS = ("packages", "vulnerabilities", "files", "secrets", "misconfigurations")


def _at(document, pointer: str):
    """The value at a JSON Pointer, None where nothing is."""
    value = document
    for token in pointer.split("/")[1:]:
        token = token.replace("~1", "/").replace("~0", "~")
        if isinstance(value, list):
            value = value[int(token)] if token.isdigit() and int(token) < len(value) else None
        elif isinstance(value, dict):
            value = value.get(token)
        else:
            return None
    return value


def test_every_corpus_file_has_expectations():
    on_disk = {str(p.relative_to(CORPUS)) for p in CORPUS.rglob("*") if p.is_file() and p.name != "PROVENANCE.md"}
    assert on_disk == set(CASES)
    assert len(READ) >= 40
    provenance = (CORPUS / "PROVENANCE.md").read_text("utf-8")
    assert [name for name in on_disk if f"| {name} |" not in provenance] == []


@pytest.mark.parametrize("name", READ)
def test_corpus_file_as_its_source_states_it(name):
    case = CASES[name]
    extraction = extract_path(corpus(name), ExtractOptions())
    assert extraction.source.format == case["format"]
    document = extract(corpus(name))
    image = document["image"]
    counts = {**{kind: len(document[kind]) for kind in COLLECTIONS}, **{kind: len(image.get(kind, [])) for kind in IMAGE_LISTS}}
    assert {kind: n for kind, n in counts.items() if n} == case["counts"]
    wrong = {pointer: _at(document, pointer) for pointer, expected in (case.get("facts") or {}).items()
             if _at(document, pointer) != expected}
    assert wrong == {}, f"facts of {name} differ from the source"
    for words in case.get("warnings", []):
        assert any(words in warning for warning in extraction.warnings), (words, extraction.warnings)
    if not case.get("warnings"):
        assert extraction.warnings == []


@pytest.mark.parametrize("name", REFUSED)
def test_corpus_file_that_is_no_image_analysis_is_refused(name):
    with pytest.raises(InputError) as caught:
        extract_path(corpus(name), ExtractOptions())
    assert CASES[name]["refused"] in caught.value.message and caught.value.path == str(corpus(name))
