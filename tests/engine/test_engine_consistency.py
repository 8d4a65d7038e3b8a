"""A decision that contradicts itself is an engine error, never a verdict: the
table of crafted decisions in decisions.yaml through `validate`, which both
engines call on every answer."""

from __future__ import annotations

import copy
from pathlib import Path

import jsonpatch
import pytest
import yaml

from regate.engine.consistency import CHECKS, disagreements
from regate.engine.decision import validate
from regate.errors import EngineError

TABLE = yaml.safe_load((Path(__file__).parent / "decisions.yaml").read_text())
CASES = {case["name"]: case for case in TABLE["cases"]}


def _decision(case: dict) -> dict:
    operations = []
    for entry in case["patch"]:
        operations += entry if isinstance(entry, list) else [entry]
    return jsonpatch.apply_patch(copy.deepcopy(TABLE["base"]), operations)


@pytest.mark.parametrize("name", [n for n, c in CASES.items() if c["error"] is None])
def test_a_consistent_decision_is_accepted(name):
    decision = _decision(CASES[name])
    assert validate(decision, "test") is decision


@pytest.mark.parametrize("name", [n for n, c in CASES.items() if c["error"] is not None])
def test_a_contradiction_is_an_engine_error_naming_it(name):
    expected = CASES[name]["error"]
    decision = _decision(CASES[name])
    assert expected in disagreements(decision)
    with pytest.raises(EngineError) as raised:
        validate(decision, "the engine")
    assert str(raised.value).startswith("the engine: the decision contradicts itself: ")
    assert expected in str(raised.value)


def test_every_check_is_exercised_by_the_table():
    """A check no case trips is untested; one a consistent case trips is wrong."""
    tripped = {check.__name__ for case in CASES.values() if case["error"] is not None
               for check in CHECKS if list(check(_decision(case)))}
    assert tripped == {check.__name__ for check in CHECKS}
