"""What counts as a bad result, judged in-process on the functions the CLI calls.

Each oracle takes the bytes of one case, runs regate's own stage functions on
them (the ones `regate compile` / `regate extract` call) and returns the
findings. Only the project's error types are expected: the CLI prints them
as messages, and it prints a traceback for anything else, so any other
exception is a crash.
"""

from __future__ import annotations

import json
import os
import re
import sys
import traceback
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import regate
from regate.cli.compile import failure_sources
from regate.compile import compile_policies
from regate.diagnostics import WINDOW, Diagnostics
from regate.errors import InputError, UserError
from regate.extract.base import ExtractOptions
from regate.extract.document import build_document
from regate.extract.image.limits import Limits
from regate.extract.registry import extract_path
from regate.loader import display_path

TODAY = date(2026, 1, 1)  # fixed, so exception expiry does not change a case's outcome
PACKAGE_DIR = str(Path(regate.__file__).resolve().parent)
# Words that say a limit was hit; such a message must name the limit's value.
LIMIT_WORDS = re.compile(r"\b(limit|limits|too (?:many|long|large|big|deep)|deeper than|more than|exceeds?|"
                         r"maximum|at most|over the)\b", re.I)
CONTROL = re.compile("[\x00-\x08\x0a-\x1f\x7f-\x9f\u2028\u2029]")
QUOTED = re.compile(r'"(?:[^"\\]|\\.)*"|\'(?:[^\'\\]|\\.)*\'|`[^`]*`')


@dataclass(frozen=True)
class Finding:
    kind: str  # crash, unlocated, wrong-snippet, unnamed-limit, invalid-json, opa-strict, timeout, died, cli
    signature: str  # what groups findings of one bug
    detail: str

    def as_json(self) -> dict:
        return {"kind": self.kind, "signature": self.signature, "detail": self.detail}


@dataclass
class Outcome:
    findings: list[Finding]
    # Generated Rego of an accepted policy (bundle path -> text), for the batched `opa check --strict`.
    modules: dict[str, str] | None = None
    accepted: bool = False  # compiled / extracted without an error


def signature(exc_type: str, frames: list[tuple[str, str]]) -> str:
    """Exception type and the innermost regate frame (else the innermost frame), from (file, function) pairs."""
    ours = [f for f in frames if f[0].startswith(PACKAGE_DIR)] or frames
    if not ours:
        return f"{exc_type} in ?"
    file, function = ours[-1]
    short = os.path.relpath(file, PACKAGE_DIR) if file.startswith(PACKAGE_DIR) else Path(file).name
    return f"{exc_type} in {short}:{function}"


def crash(exc: BaseException) -> Finding:
    detail = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__)[-6:])
    # lark wraps what a transformer raised: the wrapped error and where it was raised tell bugs apart.
    cause = getattr(exc, "orig_exc", None)
    name = f"{type(exc).__name__}({type(cause).__name__})" if cause is not None else type(exc).__name__
    frames = [(f.filename, f.name) for f in traceback.extract_tb(exc.__traceback__)]
    if cause is not None:
        frames += [(f.filename, f.name) for f in traceback.extract_tb(cause.__traceback__)]
    return Finding("crash", signature(name, frames), detail[-3000:])


def traceback_signature(text: str) -> str:
    """The signature of a traceback printed by the CLI, the same as `crash` gives in-process."""
    frames = re.findall(r'^  File "([^"]+)", line \d+, in (\S+)$', text, re.M)
    # The exception line is the first unindented line after the last frame (its message may span lines).
    after = text[text.rfind('\n  File "') + 1:].splitlines()[1:] if frames else text.splitlines()
    line = next((line for line in after if line and not line[0].isspace()), "?")
    return signature(line.split(":")[0].strip().rsplit(".", 1)[-1], frames)


def limit_values() -> frozenset[int]:
    """Every bound regate enforces: the fields of its limit dataclasses and its MAX_* constants,
    and Python's bound on the digits of an integer, which JSON input meets too."""
    values = {v for v in vars(Limits()).values() if isinstance(v, int)} | {sys.get_int_max_str_digits()}
    values |= {v for k, v in vars(ExtractOptions()).items() if k.startswith(("max_", "secret_scan_max")) and isinstance(v, int)}
    for name, module in list(sys.modules.items()):
        if name.startswith("regate"):
            values |= {v for k, v in vars(module).items() if k.lstrip("_").startswith("MAX_") and isinstance(v, int)}
    return frozenset(values)


def unnamed_limit(message: str, origin: str) -> Finding | None:
    """A message that says a limit was hit must name it by its value (`limit 1048576`, `the 200-level limit`).

    Quoted text is left out: it is the user's (a name, a path), not regate's wording.
    """
    own = QUOTED.sub("", message)
    hit = LIMIT_WORDS.search(own)
    if not hit:
        return None
    numbers = {int(n) for n in re.findall(r"\d+", re.sub(r"(?<=\d),(?=\d{3})", "", own))}
    if numbers & limit_values():
        return None
    return Finding("unnamed-limit", f"{origin}: '{hit.group(0).lower()}' without the limit's value", message[:500])


def _true_line(source: str, line: int) -> str | None:
    """Line `line` as the lexer counts lines (only \\n ends one)."""
    lines = source.split("\n")
    return lines[line - 1].rstrip("\r") if 1 <= line <= len(lines) else None


def _read(path: str) -> str | None:
    """An imported file's text, as the CLI reads it to show a diagnostic located there."""
    try:
        return Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError, ValueError):
        return None


def _located(diagnostics, sources: dict[str, str], name: str) -> list[Finding]:
    """Each diagnostic names file:line:col of the policy and shows that line (as `render_all` does for the CLI)."""
    findings = []
    for diagnostic in diagnostics:
        span, code = diagnostic.span, diagnostic.code
        block = diagnostic.render(sources.get(span.file))
        for text in (diagnostic.message, diagnostic.hint or ""):
            limit = unnamed_limit(text, code)
            if limit:
                findings.append(limit)
        head = f"{span.file}:{span.line}:{span.column}: "
        if not span.file or span.line < 1 or span.column < 1 or not block.startswith(head):
            findings.append(Finding("unlocated", f"{code}: no file:line:col", block[:500]))
            continue
        if CONTROL.search(diagnostic.message):
            # A newline splits the message from its caret; an escape sequence reaches the terminal.
            findings.append(Finding("unlocated", f"{code}: message holds raw control characters", block[:500]))
            continue
        source = sources.get(span.file) if span.file == name else _read(span.file)
        if source is None:
            continue  # a file that cannot be read as text (E101): there is no line to show
        expected = _true_line(source, span.line)
        if expected is None:
            findings.append(Finding("unlocated", f"{code}: the line diagnosed is past the end of the file", block[:500]))
            continue
        lines = block.split("\n")
        if len(lines) < 3 or " | " not in lines[1]:
            findings.append(Finding("unlocated", f"{code}: no source line and caret", block[:500]))
            continue
        shown = lines[1].split(" | ", 1)[1].strip("…")
        # Diagnostics show each invisible character as U+FFFD, so columns stay and nothing drives the terminal.
        wanted = "".join(c if c.isprintable() or c == "\t" else "\ufffd" for c in expected.rstrip()).expandtabs(4)
        if shown not in wanted or (len(wanted) <= WINDOW and shown != wanted):
            # One rendering bug whatever the code: one signature.
            findings.append(Finding("wrong-snippet", "the source line shown is not the line diagnosed",
                                    f"{block[:300]}\nexpected line: {wanted[:200]!r}"))
    return findings


def check_policy(data: bytes, workdir: Path) -> Outcome:
    path = workdir / "fuzz.regate"
    path.write_bytes(data)
    name = display_path(path)
    try:
        try:
            compiled = compile_policies([path], TODAY)
        except Diagnostics as found:
            # As the CLI renders them: an imported file's line shows too.
            return Outcome(_located(found.diagnostics, failure_sources(found, [path]), name))
        except UserError as exc:
            findings = [Finding("unlocated", f"{type(exc).__name__}: policy error without file:line:col", str(exc)[:500])]
            limit = unnamed_limit(str(exc), type(exc).__name__)
            return Outcome(findings + ([limit] if limit else []))
        sources = compiled.program.sources
        findings = _located(compiled.warnings, sources, name)
        findings += _strict_json(compiled.files["data.json"].decode("utf-8"), "data.json")
        modules = {p: b.decode("utf-8") for p, b in compiled.files.items()
                   if p.endswith(".rego") and not p.startswith("regate/lib/")}
        return Outcome(findings, modules, accepted=True)
    except Exception as exc:  # anything but the project's errors is a traceback at the CLI
        return Outcome([crash(exc)])


def _strict_json(text: str, what: str) -> list[Finding]:
    """Text OPA will load: NaN and Infinity are not JSON."""
    def refuse(constant):
        raise ValueError(constant)
    try:
        json.loads(text, parse_constant=refuse)
    except ValueError as exc:
        return [Finding("invalid-json", f"{what} holds {exc}", text[:300])]
    return []


def _input_error(exc: UserError, path: Path) -> list[Finding]:
    findings = []
    if not isinstance(exc, InputError) or not exc.path.startswith(str(path)):
        findings.append(Finding("unlocated", f"{type(exc).__name__} without the input's path", str(exc)[:500]))
    limit = unnamed_limit(str(exc), "input error")
    return findings + ([limit] if limit else [])


def _extract(path: Path) -> Outcome:
    try:
        try:
            extraction = extract_path(path, ExtractOptions(run_syft=False))
            document = build_document([extraction])
        except UserError as exc:
            return Outcome(_input_error(exc, path))
        findings = []
        for warning in extraction.warnings:
            limit = unnamed_limit(warning, "extract warning")
            if limit:
                findings.append(limit)
        # What `regate extract` writes (ensure_ascii=False, as cli/extract.py does) must be JSON OPA reads.
        text = json.dumps(document, indent=2, sort_keys=True, ensure_ascii=False)
        findings += _strict_json(text, "the input document")
        try:
            text.encode("utf-8")
        except UnicodeEncodeError as exc:
            findings.append(Finding("invalid-json", "the input document holds a lone surrogate", str(exc)[:300]))
        return Outcome(findings, accepted=True)
    except Exception as exc:
        return Outcome([crash(exc)])


def check_json(data: bytes, workdir: Path) -> Outcome:
    path = workdir / "scan.json"
    path.write_bytes(data)
    return _extract(path)


def check_image(data: bytes, workdir: Path) -> Outcome:
    path = workdir / "image.tar"
    path.write_bytes(data)
    return _extract(path)
