"""`regate test`: find policy sets and their test files, run them with the real `opa test`."""

from __future__ import annotations

import base64
import json
import re
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from ..bundle import write_directory
from ..compile import Compiled, compile_policies
from ..diagnostics import Diagnostic, Diagnostics, Span, error
from ..errors import EngineError, InputError
from ..loader import display_path
from ..policyfiles import POLICY_SUFFIX
from ..opa import find_opa
from . import coverage as coverage_module
from .fixtures import Fixtures
from .generate import LIBRARY, GeneratedTest, data_json, generate, module_names
from .spec import TestFile, is_test_file, load_test_file


@dataclass
class CaseResult:
    test: GeneratedTest
    status: str  # PASS | FAIL | ERROR
    failures: list[dict] = field(default_factory=list)
    error: str | None = None
    seconds: float = 0.0


@dataclass
class SetResult:
    root: Path
    compiled: Compiled
    results: list[CaseResult]
    coverage: coverage_module.Coverage | None = None


def policy_sets(paths: list[Path]) -> list[Path]:
    """Each path is a policy set, unless it holds none directly: then each subdirectory is tried."""
    found: list[Path] = []
    for path in paths:
        if not (path.is_file() or path.is_dir()):
            raise InputError(str(path), "is neither a policy file nor a directory")
        if path.is_file() or any(p.suffix == POLICY_SUFFIX for p in path.iterdir()):
            found.append(path)
        else:
            found.extend(policy_sets(sorted(p for p in path.iterdir() if p.is_dir() and not p.name.startswith("."))))
    return found


def test_files(root: Path) -> list[Path]:
    if root.is_file():
        siblings = root.parent.glob(f"{root.stem}_test.y*ml")
        return sorted(p for p in siblings if is_test_file(p))
    return sorted(p for p in root.rglob("*") if p.is_file() and is_test_file(p))


def _select(cases, pattern: re.Pattern | None):
    return [c for c in cases if pattern is None or pattern.search(c.name)]


def run_set(root: Path, select: re.Pattern | None, with_coverage: bool, timeout: float) -> SetResult:
    """Compile one policy set, generate its tests, run them. Raises `Diagnostics` for bad policies or tests."""
    compiled = compile_policies([root], library=(LIBRARY,))
    problems: list[Diagnostic] = []
    files: list[TestFile] = []
    for path in test_files(root):
        try:
            files.append(load_test_file(path, display_path(path), compiled.policy_set))
        except Diagnostics as found:
            problems.extend(found.diagnostics)
    if problems:
        raise Diagnostics(problems)
    fixtures = Fixtures()
    with tempfile.TemporaryDirectory(prefix="regate-test-") as scratch:
        bundle_dir, tests_dir = Path(scratch) / "bundle", Path(scratch) / "tests"
        write_directory(compiled, bundle_dir)
        index = _write_tests(files, select, fixtures, tests_dir)
        if not index:
            return SetResult(root, compiled, [])
        opa = find_opa()
        ran = opa.run("test", "--format", "json", str(bundle_dir), str(tests_dir), timeout=timeout)
        results = _results(ran, index)
        passed = [r.test for r in results if r.status == "PASS"]
        report = None
        if with_coverage and passed:
            # opa prints no coverage report once a test fails: measure what the passing cases cover,
            # the failing ones are reported (and located) from the run above.
            only = "^(" + "|".join(re.escape(f"{t.package}.{t.rule}") for t in passed) + ")$"
            covered = opa.run("test", "--coverage", "--format", "json", "--run", only, str(bundle_dir), str(tests_dir),
                              timeout=timeout)
            report = _coverage_report(covered)
    result = SetResult(root, compiled, results)
    if report is not None:
        result.coverage = coverage_module.compute(report, bundle_dir, compiled.source_maps, compiled.program.sources)
    return result


def _write_tests(files: list[TestFile], select, fixtures: Fixtures, tests_dir: Path) -> dict:
    """Writes the generated modules and data; returns (package, rule) → GeneratedTest."""
    names = module_names(files)
    documents: dict[str, dict] = {}
    index: dict[tuple[str, str], GeneratedTest] = {}
    problems: list[Diagnostic] = []
    for test_file in files:
        cases = _select(test_file.cases, select)
        if not cases:
            continue
        inputs = []
        for case in cases:
            try:
                inputs.append(fixtures.input_for(case))
            except InputError as exc:
                where = test_file.spans.get(("cases", case.index, "input_file"), case.span)
                problems.append(error("E606", where, f"cannot use {exc.path}: {exc.message}"))
        if problems:
            continue
        ident = names[test_file.display]
        module, data, generated = generate(test_file, ident, cases, inputs)
        target = tests_dir / "regate_tests" / ident / "test.rego"
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(module, encoding="utf-8")
        documents[ident] = data
        index.update({(g.package, g.rule): g for g in generated})
    if problems:
        raise Diagnostics(problems)
    tests_dir.mkdir(parents=True, exist_ok=True)
    (tests_dir / "data.json").write_text(data_json(documents), encoding="utf-8")
    return index


def _parse(ran) -> list[dict]:
    try:
        parsed = json.loads(ran.stdout)
    except json.JSONDecodeError:
        raise EngineError(f"opa test failed: {(ran.stderr or ran.stdout).strip()[:2000]}") from None
    if not isinstance(parsed, list) or not all(isinstance(entry, dict) for entry in parsed):
        raise EngineError(f"opa test returned something other than an array of objects: {ran.stdout[:500]}")
    return parsed


def _results(ran, index: dict) -> list[CaseResult]:
    by_key = {}
    for entry in _parse(ran):
        test = index.get((entry.get("package"), entry.get("name")))
        if test is None:
            continue
        output = base64.b64decode(entry.get("output") or b"").decode("utf-8", "replace")
        failures = []
        for line in output.splitlines():
            try:
                printed = json.loads(line)
            except json.JSONDecodeError:
                continue
            if isinstance(printed, dict) and "failures" in printed:
                failures = printed["failures"]
        if entry.get("error"):
            message = entry["error"].get("message") if isinstance(entry["error"], dict) else str(entry["error"])
            status, problem = "ERROR", message
        elif entry.get("fail"):
            status, problem = "FAIL", None if failures else "the test failed without reporting why"
        else:
            status, problem = "PASS", None
        by_key[(test.package, test.rule)] = CaseResult(test, status, failures, problem, entry.get("duration", 0) / 1e9)
    missing = [t for key, t in index.items() if key not in by_key]
    for test in missing:
        by_key[(test.package, test.rule)] = CaseResult(test, "ERROR", error="opa test did not run this case")
    return sorted(by_key.values(), key=lambda r: (r.test.file.display, r.test.case.index))


def _coverage_report(ran) -> dict:
    try:
        report = json.loads(ran.stdout)
    except json.JSONDecodeError:
        report = None
    if not isinstance(report, dict):
        raise EngineError(f"opa test --coverage failed: {(ran.stderr or ran.stdout).strip()[:2000]}")
    return report


def rule_source(compiled: Compiled, rule: str, policy: str | None) -> Span | None:
    for candidate in compiled.policy_set.policies:
        if policy not in (None, candidate.id):
            continue
        for r in candidate.rules:
            if r.id == rule:
                return r.span
    return None
