"""One diagnostic type for every problem found in policies, tests and data.

A diagnostic has a stable code, a severity, a location and a message, and
renders as `file:line:col: error[E301]: message`, the source line, a caret
under the offending span, and an optional hint.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum


WINDOW = 120  # characters of a source line shown around a caret


@dataclass(frozen=True, order=True)
class Span:
    """A region of a source file; lines and columns are 1-based, end exclusive."""

    file: str
    line: int
    column: int
    end_line: int
    end_column: int

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.column}"

    def as_json(self) -> dict:
        return {"file": self.file, "line": self.line, "column": self.column,
                "end_line": self.end_line, "end_column": self.end_column}

    def covering(self, other: "Span") -> "Span":
        return Span(self.file, self.line, self.column, other.end_line, other.end_column)


class Level(str, Enum):
    ERROR = "error"
    WARNING = "warning"


@dataclass(frozen=True)
class Diagnostic:
    code: str
    level: Level
    span: Span
    message: str
    hint: str | None = None

    def __post_init__(self):
        # Messages quote names and values from the policy; escaped here, once, so none can break the
        # one-line layout or reach the terminal as a control sequence, whichever check wrote it.
        object.__setattr__(self, "message", printable(self.message))
        if self.hint is not None:
            object.__setattr__(self, "hint", printable(self.hint))

    @property
    def is_error(self) -> bool:
        return self.level is Level.ERROR

    def render(self, source: str | None) -> str:
        head = f"{self.span}: {self.level.value}[{self.code}]: {self.message}"
        lines = [head]
        text = _source_line(source, self.span.line)
        if text is not None:
            # One visible character for each invisible one: columns stay, escape codes never reach the terminal.
            text = "".join(c if c.isprintable() or c == "\t" else "\ufffd" for c in text.rstrip())
            number = str(self.span.line)
            gutter = " " * len(number)
            expanded = text.expandtabs(4)
            start = len(text[: self.span.column - 1].expandtabs(4))
            if self.span.end_line == self.span.line:
                end = len(text[: max(self.span.end_column - 1, self.span.column)].expandtabs(4))
            else:
                end = len(expanded.rstrip())
            width = max(end - start, 1)
            shown = expanded.rstrip()
            if len(shown) > WINDOW:  # show the part of a very long line around the caret
                first = max(0, start - WINDOW // 2)
                prefix = "…" if first else ""
                shown = prefix + shown[first:first + WINDOW] + ("…" if first + WINDOW < len(shown) else "")
                start = start - first + len(prefix)
                width = min(width, WINDOW)
            lines.append(f" {number} | {shown}")
            lines.append(f" {gutter} | {' ' * start}{'^' * width}")
        if self.hint:
            lines.append(f"  hint: {self.hint}")
        return "\n".join(lines)

    def as_json(self) -> dict:
        out = {"code": self.code, "level": self.level.value, "message": self.message,
               "location": self.span.as_json()}
        if self.hint:
            out["hint"] = self.hint
        return out


def _source_line(source: str | None, line: int) -> str | None:
    if source is None:
        return None
    lines = source_lines(source)
    if 1 <= line <= len(lines):
        return lines[line - 1]
    return None


def source_lines(source: str) -> list[str]:
    """The lines of a policy source as the lexer counts them: only "\\n" ends a line
    (str.splitlines would also split at a form feed, U+2028 or U+0085)."""
    return source.removesuffix("\n").split("\n")


def printable(text: str) -> str:
    """`text` for a message: control and other invisible characters as \\u escapes,
    so a hostile file name can neither hide in nor drive the terminal."""
    return "".join(c if c.isprintable() else f"\\u{ord(c):04x}" for c in text)


def error(code: str, span: Span, message: str, hint: str | None = None) -> Diagnostic:
    return Diagnostic(code, Level.ERROR, span, message, hint)


def warning(code: str, span: Span, message: str, hint: str | None = None) -> Diagnostic:
    return Diagnostic(code, Level.WARNING, span, message, hint)


class Diagnostics(Exception):
    """Raised by a stage that found errors; carries all of them, sorted by location."""

    def __init__(self, diagnostics: list[Diagnostic]):
        self.diagnostics = sorted(diagnostics, key=lambda d: (d.span, d.code))
        super().__init__(f"{sum(d.is_error for d in self.diagnostics)} error(s)")


def render_all(diagnostics: list[Diagnostic], sources: dict[str, str]) -> str:
    return "\n\n".join(d.render(sources.get(d.span.file)) for d in diagnostics)


def did_you_mean(name: str, candidates: list[str] | set[str]) -> str | None:
    import difflib

    close = difflib.get_close_matches(name, sorted(candidates), n=1, cutoff=0.6)
    return f'did you mean "{close[0]}"?' if close else None
