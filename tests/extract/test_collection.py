"""The cyclic collector is paused while a report is read and a document built, and resumes as it was."""

from __future__ import annotations

import gc
import json
import os
import subprocess
import sys
from pathlib import Path

import orjson
import pytest

from corpus_helpers import corpus, raw
from regate.collector import paused
from regate.engine import cli as engine_cli
from regate.errors import InputError
from regate.extract import document, jsonload
from regate.extract.base import ExtractOptions
from regate.extract.registry import extract_json, extract_path


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


def test_what_was_made_in_a_pause_goes_to_the_oldest_generation(collection_restored):
    gc.enable()
    with paused():
        made = [[index] for index in range(5000)]
    assert gc.get_count()[0] < 5000
    assert any(found is made for found in gc.get_objects(generation=2))


def test_objects_frozen_on_purpose_stay_frozen(collection_restored):
    gc.freeze()
    try:
        frozen = gc.get_freeze_count()
        with paused():
            made = [[index] for index in range(100)]
        assert gc.get_freeze_count() == frozen and made
    finally:
        gc.unfreeze()


def test_reading_a_report_leaves_collection_as_it_was(collection_restored, write_json):
    gc.enable()
    with pytest.raises(InputError):
        extract_path(write_json('{"a": NaN}'), ExtractOptions())
    assert gc.isenabled()
    assert extract_path(corpus("syft/kubevuln_alpine-3.17.2_syft-1.32.0_schema16.0.39.json"), ExtractOptions()).facts["packages"]
    assert gc.isenabled()


def test_regate_exits_with_what_it_holds_left_out_of_pythons_last_collection(tmp_path):
    root = Path(__file__).resolve().parents[2]
    production = root / "examples" / "production"
    # atexit handlers run before that collection: what they see is what it would walk.
    code = ("import atexit, gc; from regate.cli import main; print(gc.get_freeze_count()); "
            "atexit.register(lambda: print(gc.get_freeze_count())); main()")
    done = subprocess.run([sys.executable, "-c", code, "check", "--policy", str(production),
                           str(production / "inputs" / "vulnerable.json"), "--format", "json"],
                          capture_output=True, text=True, env={**os.environ, "REGATE_CACHE_DIR": str(tmp_path)}, timeout=120)
    lines = done.stdout.splitlines()
    assert done.returncode == 1, done.stderr
    assert json.loads("\n".join(lines[1:-1]))["verdict"] == "STOP"
    before, after = int(lines[0]), int(lines[-1])
    assert before == 0 and after > 10_000


def test_json_is_parsed_without_cyclic_collection(collection_restored, monkeypatch):
    """A prepared document and OPA's output are trees, read while regate waits for them: the young
    collections would walk every object orjson makes (a 10,000-package document: ~23 instead of
    ~30-55 ms to parse)."""
    seen = []
    loads = orjson.loads
    monkeypatch.setattr(orjson, "loads", lambda text: seen.append(gc.isenabled()) or loads(text))
    gc.enable()
    assert jsonload.parse_json('{"a": [1]}', "x.json") == {"a": [1]}
    assert engine_cli._decision_value('{"result": [{"expressions": [{"value": {"a": 1}}]}]}') == {"a": 1}
    assert seen == [False, False] and gc.isenabled()
