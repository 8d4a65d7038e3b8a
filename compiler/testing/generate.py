"""Test files → Rego test modules (`test_*` rules) and the data they read.

Each case becomes one test rule that evaluates the bundle's decision on the
case's input and asks `data.regate.testing.failures` how it departs from the
expectations; the failures are printed (as JSON) for `regate test` to map
back to the lines of the test file.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass

from ..codegen import rego_string
from ..codegen.rego import unique_identifiers
from .spec import Case, TestFile

ROOT = "regate_tests"
# The library package the generated tests ask; bundles ship it only for `regate test`.
LIBRARY = "regate.testing"


@dataclass(frozen=True)
class GeneratedTest:
    """Where a case's test rule lives, to map `opa test` results back to the case."""

    package: str
    rule: str
    file: TestFile
    case: Case


def _slug(text: str, limit: int = 60) -> str:
    slug = re.sub(r"[^a-z0-9]+", "_", text.lower()).strip("_")[:limit].strip("_")
    return slug or "case"


def module_names(files: list[TestFile]) -> dict[str, str]:
    """Test file display path → unique Rego identifier."""
    return unique_identifiers([(f.display, _slug(f.path.stem, 40)) for f in files])


def generate(test_file: TestFile, ident: str, cases: list[Case], inputs: list[dict]) -> tuple[str, dict, list[GeneratedTest]]:
    """(Rego module, data document for data.regate_tests.<ident>, test index)."""
    package = f"{ROOT}.{ident}"
    blocks = [f"# METADATA\n# title: {rego_string('Tests from ' + test_file.display)}\npackage {package}"]
    index: list[GeneratedTest] = []
    used: set[str] = set()
    for position, case in enumerate(cases):
        rule = "test_" + _slug(case.name)
        while rule in used:
            rule += "_"
        used.add(rule)
        source = f"{test_file.display}:{case.span.line}:{case.span.column}"
        blocks.append("\n".join([
            "# METADATA",
            f"# title: {rego_string(case.name)}",
            "# custom:",
            f"#   source: {rego_string(source)}",
            f"{rule} if {{",
            f"\tcase := data.{package}.cases[{position}]",
            "\tdecision := data.regate.decision.main with input as case.input",
            f"\tfailures := data.{LIBRARY}.failures(decision, case.expect)",
            f'\tprint(json.marshal({{"case": {position}, "failures": failures}}))',
            "\tfailures == []",
            "}",
        ]))
        index.append(GeneratedTest(f"data.{package}", rule, test_file, case))
    data = {"cases": [{"input": doc, "expect": case.expect} for case, doc in zip(cases, inputs)]}
    return "\n\n".join(blocks) + "\n", data, index


def data_json(documents: dict[str, dict]) -> str:
    return json.dumps({ROOT: documents}, sort_keys=True)
