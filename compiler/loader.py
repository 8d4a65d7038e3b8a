"""Policy files on disk → parsed modules and the data files they load.

Directories contribute every `*.regate` file below them; `import` pulls in
further files relative to the importing one. Each file is parsed once.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from . import ast
from .diagnostics import Diagnostic, Diagnostics, Span, error
from .parser import parse_module

POLICY_SUFFIX = ".regate"


@dataclass(frozen=True)
class Program:
    """Every module of a policy set, with its data files loaded."""

    modules: tuple[ast.Module, ...]
    root: Path
    # display path of a module → its path inside the bundle (relative to root)
    bundle_paths: dict[str, str]
    # (module display path, declaration name) → value loaded from a data file
    loaded: dict[tuple[str, str], object] = field(default_factory=dict)

    @property
    def sources(self) -> dict[str, str]:
        return {m.path: m.source for m in self.modules}


def display_path(path: Path) -> str:
    absolute = path.resolve()
    try:
        return os.path.relpath(absolute)
    except ValueError:
        return str(absolute)


def policy_files(paths: list[str | Path]) -> list[Path]:
    found: list[Path] = []
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            found.extend(sorted(p for p in path.rglob(f"*{POLICY_SUFFIX}") if p.is_file()))
        else:
            found.append(path)
    return found


def load(paths: list[str | Path]) -> Program:
    """Parse the given files and directories and everything they import.

    Raises `Diagnostics` with every problem found in every file.
    """
    problems: list[Diagnostic] = []
    modules: dict[Path, ast.Module] = {}
    pending = [(p, None) for p in policy_files(paths)]
    if not pending:
        raise Diagnostics([error("E101", Span(str(p), 1, 1, 1, 1), "no policy files (*.regate) found here")
                           for p in paths] or [error("E101", Span(".", 1, 1, 1, 1), "no policy paths given")])
    while pending:
        path, imported_at = pending.pop(0)
        resolved = path.resolve()
        if resolved in modules:
            continue
        module = _read_and_parse(path, imported_at, problems)
        if module is None:
            continue
        modules[resolved] = module
        for decl in module.declarations:
            if isinstance(decl, ast.Import):
                pending.append((resolved.parent / decl.path, decl.span))
    if problems:
        raise Diagnostics(problems)
    ordered = sorted(modules.items(), key=lambda item: str(item[0]))
    root = Path(os.path.commonpath([str(p.parent) for p, _ in ordered]))
    bundle_paths = {m.path: p.relative_to(root).as_posix() for p, m in ordered}
    loaded = _load_data_files(ordered, problems)
    if problems:
        raise Diagnostics(problems)
    return Program(tuple(m for _, m in ordered), root, bundle_paths, loaded)


def _read_and_parse(path: Path, imported_at: Span | None, problems: list[Diagnostic]) -> ast.Module | None:
    where = imported_at or Span(display_path(path), 1, 1, 1, 1)
    try:
        source = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        problems.append(error("E101", where, f"file not found: {display_path(path)}"))
        return None
    except (OSError, UnicodeDecodeError) as exc:
        problems.append(error("E101", where, f"cannot read {display_path(path)}: {exc}"))
        return None
    try:
        return parse_module(display_path(path), source)
    except Diagnostics as found:
        problems.extend(found.diagnostics)
        return None


def _load_data_files(modules, problems: list[Diagnostic]) -> dict[tuple[str, str], object]:
    loaded: dict[tuple[str, str], object] = {}
    for file, module in modules:
        for decl in module.declarations:
            if isinstance(decl, (ast.ListDecl, ast.ParamDecl)) and decl.source is not None:
                value = _read_data(file.parent / decl.source.path, decl.source, problems)
                if value is _MISSING:
                    continue
                if isinstance(decl, ast.ListDecl) and not isinstance(value, list):
                    problems.append(error("E104", decl.source.span,
                                          f"list {decl.name} needs a list, but {decl.source.path} "
                                          f"{_at_key(decl.source)}holds {_kind(value)}",
                                          'point "key" at a list inside the file' if isinstance(value, dict) else None))
                    continue
                loaded[(module.path, decl.name)] = value
    return loaded


_MISSING = object()


def _read_data(path: Path, source: ast.DataSource, problems: list[Diagnostic]) -> object:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        problems.append(error("E104", source.span, f"cannot read data file {source.path}: {exc.strerror or exc}"))
        return _MISSING
    try:
        value = json.loads(text) if path.suffix == ".json" else yaml.safe_load(text)
    except (json.JSONDecodeError, yaml.YAMLError) as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else (
            f" at line {exc.lineno}, column {exc.colno}" if isinstance(exc, json.JSONDecodeError) else "")
        problems.append(error("E104", source.span, f"{source.path} is not valid YAML/JSON{where}"))
        return _MISSING
    if source.key:
        for part in source.key.split("."):
            if not isinstance(value, dict) or part not in value:
                problems.append(error("E104", source.span, f'{source.path} has no key "{source.key}"',
                                      f"keys there: {', '.join(sorted(map(str, value)))}" if isinstance(value, dict) else None))
                return _MISSING
            value = value[part]
    return value


def _at_key(source: ast.DataSource) -> str:
    return f'at "{source.key}" ' if source.key else ""


def _kind(value: object) -> str:
    return {dict: "a mapping", str: "a string", int: "a number", float: "a number", bool: "a boolean",
            type(None): "nothing"}.get(type(value), type(value).__name__)
