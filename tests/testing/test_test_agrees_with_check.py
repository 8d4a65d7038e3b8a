"""One path: what `regate test` evaluates is what `regate check` evaluates.

For every example, each case's document is built the way `regate test` builds
it; `regate check` (both engines) then evaluates those documents, and the
case's expectations are asserted on the gate's decisions by the same Rego
(`data.regate.testing.failures`) `regate test` uses. Cases that name only
input files are also checked from the files themselves, so the test's
document is the one the gate builds for them.
"""

from __future__ import annotations

import json
from collections import defaultdict
from datetime import date
from pathlib import Path

import pytest

from engine.gatehelpers import decisions, example_policies, regate, write_json
from engine.gatehelpers import isolated_cache  # noqa: F401  (autouse: a compile cache per test process)
from regate.bundle import write_directory
from regate.compile import compile_policies
from regate.loader import display_path
from regate.testing.fixtures import Fixtures
from regate.testing.generate import LIBRARY
from regate.testing import runner
from regate.testing.spec import load_test_file

ENGINES = ("cli", "server")


def _cases(example: Path):
    compiled = compile_policies([example], date(2026, 6, 1))
    fixtures = Fixtures()
    for path in runner.test_files(example):
        for case in load_test_file(path, display_path(path), compiled.policy_set).cases:
            yield case, fixtures.input_for(case)


def _failures(opa, bundle: Path, pairs: list[dict]) -> list:
    """The expectations of each case, judged on a decision by regate's own test library."""
    query = "[data.regate.testing.failures(p.decision, p.expect) | some p in input.pairs]"
    ran = opa.run("eval", "--format", "json", "--bundle", str(bundle), "--stdin-input", query,
                  input_text=json.dumps({"pairs": pairs}))
    return json.loads(ran.stdout)["result"][0]["expressions"][0]["value"]


@pytest.mark.parametrize("example", example_policies(), ids=lambda p: p.name)
def test_every_case_holds_on_the_gates_decisions(example, opa, tmp_path):
    cases = list(_cases(example))
    assert cases, f"{example.name} has no test cases"
    by_now = defaultdict(list)
    for case, document in cases:
        document = dict(document)
        now = document.pop("now", None)
        by_now[now].append((case, write_json(tmp_path / f"case-{case.index}-{len(by_now[now])}.json", document)))
    bundle = tmp_path / "bundle"
    write_directory(compile_policies([example], date(2026, 6, 1), library=(LIBRARY,)), bundle)
    for engine in ENGINES:
        pairs = []
        for now, group in by_now.items():
            result = regate("check", "--policy", example, "--engine", engine, "--format", "json", "--fail-on", "warn",
                            *(["--now", now] if now else []), *(path for _, path in group))
            assert result.returncode in (0, 1), result.stderr
            pairs += [{"decision": d, "expect": case.expect} for (case, _), d in zip(group, decisions(result))]
        failures = _failures(opa, bundle, pairs)
        broken = {p["expect"]["path"][1]: f for p, f in zip(pairs, failures) if f}
        assert not broken, f"{engine}: {json.dumps(broken, indent=1)[:3000]}"


@pytest.mark.parametrize("example", example_policies(), ids=lambda p: p.name)
def test_a_cases_files_give_the_document_check_builds(example):
    """`regate test` and `regate check` read a case's files through the same code, so the
    documents are equal; this guards against a second path creeping back in."""
    from regate.extract.base import ExtractOptions
    from regate.subjects import collect_subjects

    for case, document in _cases(example):
        if not case.input_files or case.input or case.baseline_file:
            continue
        subjects = collect_subjects(tuple(map(str, case.input_files)), (), ExtractOptions(run_syft=True, progress=False))
        built, _ = subjects[0].load(None)
        tested = {k: v for k, v in document.items() if k != "now"}
        assert tested == built, case.name
