"""Policy files on disk → parsed modules and the data files they load.

Directories contribute every `*.regate` file below them; `import` pulls in
further files relative to the importing one. Each file is parsed once.
"""

from __future__ import annotations

import errno
import json
import math
import os
import stat
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from . import ast
from .diagnostics import Diagnostic, Diagnostics, Span, error, printable
from .parser import LONE_SURROGATE, MAX_DIGITS, MAX_NUMBER, parse_module
from .policyfiles import policy_files

# Far above any real policy or list; they bound what a mistyped path can cost.
MAX_POLICY_BYTES = 4 * 2**20
_NAME_MAX, _PATH_MAX = os.pathconf("/", "PC_NAME_MAX"), os.pathconf("/", "PC_PATH_MAX")
MAX_DATA_BYTES = 64 * 2**20


class Unreadable(Exception):
    """A policy or data file that cannot be read; the message says why."""


class Missing(Unreadable):
    """There is no file at that path."""


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
    absolute = _resolved(path)
    try:
        return os.path.relpath(absolute)
    except ValueError:
        return str(absolute)


def _resolved(path: Path) -> Path:
    """`path` made absolute, following symlinks where it can (a loop or a NUL
    byte is reported when the file is read, not here)."""
    try:
        return path.resolve()
    except (OSError, RuntimeError, ValueError):
        return Path(os.path.abspath(path))


def read_bytes(path: Path, limit: int, kind: str) -> bytes:
    """The content of a regular file of at most `limit` bytes, else `Unreadable`
    (naming the limit for this `kind` of file).
    Devices, pipes and directories are refused before they are opened, so
    `/dev/zero` or a FIFO can neither exhaust memory nor block."""
    if "\0" in str(path):
        raise Unreadable("the path holds a NUL character")
    if LONE_SURROGATE.search(str(path)):  # how Python passes on bytes that are not UTF-8
        raise Unreadable("the path is not UTF-8, so no bundle could name it")
    try:
        info = os.stat(path)
        if not stat.S_ISREG(info.st_mode):
            raise Unreadable("not a regular file")
        if info.st_size > limit:
            raise Unreadable(f"larger than {limit // 2**20} MiB, the limit for {kind}")
        with open(path, "rb") as handle:
            content = handle.read(limit + 1)
    except FileNotFoundError as exc:
        raise Missing(exc.strerror) from None
    except OSError as exc:
        if exc.errno == errno.ENAMETOOLONG:
            raise Unreadable(f"the path is longer than the system allows ({_NAME_MAX} bytes a name, "
                             f"{_PATH_MAX} a path)") from None
        raise Unreadable(exc.strerror or str(exc)) from None
    if len(content) > limit:
        raise Unreadable(f"larger than {limit // 2**20} MiB, the limit for {kind}")
    return content


def decode(content: bytes) -> str:
    """UTF-8 text, a leading byte-order mark dropped (editors on Windows add one)."""
    try:
        return content.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise Unreadable(f"not UTF-8 text (byte 0x{content[exc.start]:02x} at offset {exc.start})") from None


def read_source(path: Path) -> str:
    """The text of a policy file; `Unreadable` if it cannot be one."""
    return decode(read_bytes(path, MAX_POLICY_BYTES, "policy files"))


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
        resolved = _resolved(path)
        if resolved in modules:
            continue
        module = _read_and_parse(path, imported_at, problems)
        if module is None:
            continue
        modules[resolved] = module
        for decl in module.declarations:
            if isinstance(decl, ast.Import) and not decl.path.endswith(".regate"):
                # Reading any other file would put its lines into error messages and CI logs (a policy
                # in a pull request could import the runner's credentials).
                problems.append(error("E101", decl.span, f"only policy files (*.regate) can be imported, "
                                                         f"not {printable(decl.path)}"))
            elif isinstance(decl, ast.Import):
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
        source = read_source(path)
    except Missing:
        problems.append(error("E101", where, f"file not found: {printable(display_path(path))}"))
        return None
    except Unreadable as exc:
        problems.append(error("E101", where, f"cannot read {printable(display_path(path))}: {exc}"))
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
        text = decode(read_bytes(path, MAX_DATA_BYTES, "data files"))
    except Unreadable as exc:
        problems.append(error("E104", source.span, f"cannot read data file {printable(source.path)}: {exc}"))
        return _MISSING
    try:
        value = json.loads(text) if path.suffix == ".json" else yaml.safe_load(text)
    except (json.JSONDecodeError, yaml.YAMLError) as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else (
            f" at line {exc.lineno}, column {exc.colno}" if isinstance(exc, json.JSONDecodeError) else "")
        problems.append(error("E104", source.span, f"{source.path} is not valid YAML/JSON{where}"))
        return _MISSING
    except RecursionError:
        problems.append(error("E104", source.span, f"{source.path} nests too deeply to be read"))
        return _MISSING
    except ValueError as exc:  # a number past Python's digit limit, a timestamp that is no date
        too_long = "integer string conversion" in str(exc)
        reason = f"numbers are limited to {MAX_DIGITS} digits" if too_long else str(exc)
        problems.append(error("E104", source.span, f"{source.path} holds a value that cannot be read: {reason}"))
        return _MISSING
    if source.key:
        for part in source.key.split("."):
            if not isinstance(value, dict) or part not in value:
                problems.append(error("E104", source.span, f'{source.path} has no key "{source.key}"',
                                      f"keys there: {', '.join(sorted(map(str, value)))}" if isinstance(value, dict) else None))
                return _MISSING
            value = value[part]
    invalid = _invalid_value(value)
    if invalid is not None:
        pointer, reason = invalid
        problems.append(error("E104", source.span, f"{source.path} at {pointer or '/'}: {reason}"))
        return _MISSING
    return value


def _invalid_value(value: object) -> tuple[str, str] | None:
    """(JSON Pointer, reason) of the first value in `value` that has no exact JSON
    form OPA reads: NaN and infinities, huge numbers, YAML dates and binaries, lone
    surrogates (from YAML escapes). Iterative: nesting depth costs no stack."""
    pending: list[tuple[str, object]] = [("", value)]
    while pending:
        pointer, item = pending.pop()
        if isinstance(item, dict):
            for key, child in item.items():
                if not isinstance(key, str):
                    return pointer, f"key {key!r} is not a string; quote it"
                pending.append((f"{pointer}/{_pointer_part(key)}", child))
        elif isinstance(item, list):
            pending.extend((f"{pointer}/{i}", child) for i, child in enumerate(item))
        elif isinstance(item, str):
            if LONE_SURROGATE.search(item):
                return pointer, "a string holds half of a UTF-16 surrogate pair"
        elif isinstance(item, float) and not math.isfinite(item):
            return pointer, f"{item} is not a number JSON can hold"
        elif isinstance(item, (int, float)) and not isinstance(item, bool) and abs(item) >= MAX_NUMBER:
            return pointer, f"number out of range: numbers are limited to {MAX_DIGITS} digits"
        elif item is not None and not isinstance(item, (bool, int, float)):
            return pointer, f"a YAML {type(item).__name__} is not plain data; quote it to make it a string"
    return None


def _pointer_part(key: str) -> str:
    return key.replace("~", "~0").replace("/", "~1")


def _at_key(source: ast.DataSource) -> str:
    return f'at "{source.key}" ' if source.key else ""


def _kind(value: object) -> str:
    return {dict: "a mapping", str: "a string", int: "a number", float: "a number", bool: "a boolean",
            type(None): "nothing"}.get(type(value), type(value).__name__)
