"""The compiler pipeline: files → parse → AST → checks → Rego + data → bundle files."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, datetime, timezone
from pathlib import Path

from . import checks
from .codegen import generate_modules
from .config import data_document
from .diagnostics import Diagnostic
from .loader import Program, load
from .model import PolicySet, collect
from .resources import library_for


@dataclass(frozen=True)
class Compiled:
    policy_set: PolicySet
    warnings: tuple[Diagnostic, ...]
    # bundle path → file content, everything the bundle holds except .manifest
    files: dict[str, bytes]
    # bundle path of a generated module → where its lines come from in the policy sources
    source_maps: dict[str, tuple]

    @property
    def program(self) -> Program:
        return self.policy_set.program


def today() -> date:
    return datetime.now(timezone.utc).date()


def analyse(paths: list[str | Path], on: date | None = None) -> tuple[PolicySet, list[Diagnostic]]:
    """Load and check; raises `Diagnostics` on errors, returns warnings."""
    program = load(paths)
    return checks.run_passes(collect(program, on or today()))


def compile_policies(paths: list[str | Path], on: date | None = None, library: tuple[str, ...] = ()) -> Compiled:
    """`library` names Rego library packages to ship although no generated module uses them."""
    policy_set, warnings = analyse(paths, on)
    files: dict[str, bytes] = {}
    modules = generate_modules(policy_set)
    for path, module in modules.items():
        files[path] = module.text.encode("utf-8")
    for path, source in library_for([module.text for module in modules.values()], library):
        files[path] = source.encode("utf-8")
    files["data.json"] = canonical_json(data_document(policy_set))
    source_maps = {path: module.source_map for path, module in modules.items() if module.source_map}
    return Compiled(policy_set, tuple(warnings), dict(sorted(files.items())), source_maps)


def canonical_json(value: object) -> bytes:
    return (json.dumps(value, sort_keys=True, indent=2, ensure_ascii=False) + "\n").encode("utf-8")
