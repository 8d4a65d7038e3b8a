"""A fixed slice of the fuzzing campaign (`make fuzz` runs the long one).

Counted in cases, not seconds, so every run generates the same cases and must
reach the same verdict: no traceback, every policy error located, every limit
named, generated Rego accepted by the real `opa check --strict`, and the real
CLI sampled. A finding here is a bug to fix, not to list as known.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from fuzz.run import run_slice  # noqa: E402

SEED = 20261201
CASES = {"policy": 400, "json": 400, "image": 50}


@pytest.fixture(scope="module")
def report(opa):
    return run_slice(SEED, CASES)


def _describe(report, keys) -> str:
    lines = []
    for key in sorted(keys):
        group = report.found[key]
        lines.append(f"[{key[0]}] {key[1]} ({group.count}x; python fuzz/run.py --seed {SEED} --target {key[0]} "
                     f"--case {group.case} --save DIR)\n{group.finding.detail[-800:]}")
    return "\n\n".join(lines)


def test_slice_runs_every_case(report):
    assert report.cases == CASES
    # Mutations that keep most cases valid reach code generation and the extractors' happy paths.
    assert report.accepted["policy"] >= CASES["policy"] // 20
    assert report.accepted["json"] >= CASES["json"] // 10
    assert report.accepted["image"] >= CASES["image"] // 4


def test_slice_finds_nothing(report):
    found = report.signatures()
    assert not found, "fuzz findings:\n" + _describe(report, found)
