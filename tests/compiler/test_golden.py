"""Golden files: generated Rego and rendered diagnostics, compared byte for byte.

Regenerate after an intended change with `REGATE_UPDATE_GOLDEN=1 pytest tests/compiler/test_golden.py`
and review the diff like code.
"""

from __future__ import annotations

import os
from datetime import date
from pathlib import Path

import pytest

from regate.compile import analyse, compile_policies
from regate.diagnostics import Diagnostics, render_all

GOLDEN = Path(__file__).parent / "golden"
UPDATE = os.environ.get("REGATE_UPDATE_GOLDEN") == "1"
TODAY = date(2026, 1, 1)


def _compare(expected: Path, actual: str) -> None:
    if UPDATE:
        expected.parent.mkdir(parents=True, exist_ok=True)
        expected.write_text(actual, encoding="utf-8")
    assert expected.exists(), f"{expected} is missing; run with REGATE_UPDATE_GOLDEN=1"
    assert actual == expected.read_text(encoding="utf-8")


REGO_CASES = sorted(p.name for p in (GOLDEN / "rego").iterdir() if p.is_dir())
ERROR_CASES = sorted(p.stem for p in (GOLDEN / "errors").glob("*.regate"))


@pytest.mark.parametrize("case", REGO_CASES)
def test_generated_rego(case, monkeypatch):
    folder = GOLDEN / "rego" / case
    monkeypatch.chdir(folder)
    compiled = compile_policies(["policy"], TODAY)
    generated = {name: content for name, content in compiled.files.items()
                 if not name.startswith("regate/lib/") and not name.startswith("regate/decision/")}
    for name, content in generated.items():
        _compare(folder / "expected" / name, content.decode())
    expected_names = {p.relative_to(folder / "expected").as_posix()
                      for p in (folder / "expected").rglob("*") if p.is_file()}
    assert expected_names == set(generated)


@pytest.mark.parametrize("case", ERROR_CASES)
def test_rendered_errors(case, monkeypatch):
    monkeypatch.chdir(GOLDEN / "errors")
    source = Path(f"{case}.regate").read_text(encoding="utf-8")
    try:
        diagnostics = analyse([f"{case}.regate"], TODAY)[1]
    except Diagnostics as found:
        diagnostics = found.diagnostics
    assert diagnostics, "an error case must produce diagnostics"
    rendered = render_all(diagnostics, {f"{case}.regate": source}) + "\n"
    _compare(GOLDEN / "errors" / f"{case}.expected", rendered)
