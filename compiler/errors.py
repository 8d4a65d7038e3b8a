"""Errors caused by the user's input, as opposed to bugs in regate.

The CLI turns any `UserError` into a one-line message and exit code 2. Every
other exception is a bug in regate: also exit 2 (never 1, which CI reads as a
failed policy), with a one-line "internal error" message; REGATE_DEBUG=1 adds
the traceback.
"""

from __future__ import annotations


def one_line(text: str, limit: int = 300) -> str:
    """`text` for an error message: whitespace collapsed, at most `limit` characters."""
    text = " ".join(text.split())
    return text if len(text) <= limit else text[:limit] + "…"


class UserError(Exception):
    """A mistake in what the user gave us: a file, an option, an environment."""

    exit_code = 2


class InputError(UserError):
    """An input file that cannot be read or understood.

    `path` names the file and `pointer` (a JSON Pointer or a path inside an
    archive) the offending place within it, when known.
    """

    def __init__(self, path: str, message: str, pointer: str | None = None):
        self.path = str(path)
        self.pointer = pointer
        self.message = message
        where = f"{self.path}{' at ' + pointer if pointer else ''}"
        super().__init__(f"{where}: {message}")


class EngineError(UserError):
    """OPA failed, timed out, or returned something that is not a decision.

    Fail closed: callers never turn this into a passing verdict.
    """
