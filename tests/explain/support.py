"""Running `regate check --explain` and checking its proof independently: the
patch is applied here (jsonpatch) to the document regate builds from the same
inputs, and the patched document is checked again by a second `regate check`."""

from __future__ import annotations

import json
from pathlib import Path

import jsonpatch

from engine.gatehelpers import NOW, regate, report, write_json


def explain(policy: Path, *inputs: Path, fail_on: str = "stop", fmt: str = "json") -> tuple[dict, object]:
    result = regate("check", "--explain", "--policy", policy, "--format", fmt, "--fail-on", fail_on, "--now", NOW,
                    *inputs)
    assert result.returncode in (0, 1), result.stderr
    return (report(result) if fmt == "json" else None), result


def document_of(*inputs: Path) -> dict:
    """The input document regate evaluates for these inputs (secrets masked), as `regate check` builds it."""
    from regate.extract.base import ExtractOptions
    from regate.subjects import collect_subjects

    [subject] = collect_subjects(tuple(map(str, inputs)), (), ExtractOptions(run_syft=False))
    document, _ = subject.load(None, warn=lambda _message: None)
    return document


def recheck_patched(tmp_path: Path, policy: Path, inputs: tuple[Path, ...], explanation: dict,
                    fail_on: str = "stop") -> dict:
    """The decision of a second, plain `regate check` on the patched document."""
    patched = jsonpatch.apply_patch(document_of(*inputs), explanation["patch"])
    path = write_json(tmp_path / "patched.json", patched)
    result = regate("check", "--policy", policy, "--format", "json", "--fail-on", fail_on, "--now", NOW, path)
    assert result.returncode in (0, 1), result.stderr
    [only] = report(result)["results"]
    return only["decision"]


def blocking_ids(decision: dict, fail_on: str) -> list[str]:
    actions = ("STOP", "WARN") if fail_on == "warn" else ("STOP",)
    return sorted(f"{f['policy']}/{f['rule']}:{f['key']}" for f in decision["findings"]
                  if f["effective_action"] in actions)


def dumps(value) -> str:
    return json.dumps(value, indent=1, ensure_ascii=False, sort_keys=True)
