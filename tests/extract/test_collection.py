"""The cyclic collector is paused while a document is built and resumes as it was."""

from __future__ import annotations

import gc

import pytest

from corpus_helpers import raw
from regate.collector import paused
from regate.errors import InputError
from regate.extract import document
from regate.extract.registry import extract_json


@pytest.fixture
def collection_restored():
    enabled = gc.isenabled()
    yield
    gc.enable() if enabled else gc.disable()


def test_a_document_is_built_without_cyclic_collection_which_resumes_after(collection_restored, monkeypatch):
    seen = []
    conceal = document.conceal  # observed, not replaced: it runs in the middle of the build
    monkeypatch.setattr(document, "conceal", lambda doc: seen.append(gc.isenabled()) or conceal(doc))
    gc.enable()
    built = document.build_document([extract_json(raw("syft/kubevuln_alpine-3.17.2_syft-1.32.0_schema16.0.39.json"), "sbom.json")])
    assert len(built["packages"]) == 15
    assert seen == [False] and gc.isenabled()


def test_collection_resumes_after_an_error(collection_restored):
    gc.enable()
    with pytest.raises(InputError), paused():
        raise InputError("x.json", "broken")
    assert gc.isenabled()


def test_collection_disabled_before_stays_disabled(collection_restored):
    gc.disable()
    with paused():
        with paused():
            pass
        assert not gc.isenabled()
    assert not gc.isenabled()
