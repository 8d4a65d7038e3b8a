"""Path globs for `--content`, read as the policy language's `glob` reads them: `*` and `?` within a
path segment, `**` across `/`, `[abc]` / `[!abc]` classes and `{a,b}` alternatives."""

from __future__ import annotations

import re

from ..errors import UserError

_SPECIAL = frozenset("*?[{")


def is_glob(pattern: str) -> bool:
    return any(char in _SPECIAL for char in pattern)


def _class(pattern: str, start: int) -> tuple[str, int]:
    end = pattern.find("]", start + 2 if pattern[start + 1:start + 2] in ("!", "^") else start + 1)
    if end < 0:
        raise UserError(f"--content {pattern!r}: a `[` without its `]`")
    body = pattern[start + 1:end]
    negated = body[:1] in ("!", "^")
    body = body[1:] if negated else body
    escaped = "".join("\\" + char if char in "\\^]" else char for char in body)
    return (f"[^/{escaped}]" if negated else f"(?!/)[{escaped}]"), end + 1


def _translate(pattern: str, start: int = 0, in_braces: bool = False) -> tuple[str, int]:
    out, index = [], start
    while index < len(pattern):
        char = pattern[index]
        if char == "*":
            double = pattern.startswith("**", index)
            out.append(".*" if double else "[^/]*")
            index += 2 if double else 1
        elif char == "?":
            out.append("[^/]")
            index += 1
        elif char == "[":
            text, index = _class(pattern, index)
            out.append(text)
        elif char == "{":
            options = []
            index += 1
            while True:
                text, index = _translate(pattern, index, in_braces=True)
                options.append(text)
                if index >= len(pattern):
                    raise UserError(f"--content {pattern!r}: a `{{` without its `}}`")
                index += 1
                if pattern[index - 1] == "}":
                    break
            out.append("(?:" + "|".join(options) + ")")
        elif in_braces and char in ",}":
            return "".join(out), index
        else:
            out.append(re.escape(char))
            index += 1
    return "".join(out), index


def compile_globs(patterns) -> re.Pattern | None:
    """One expression matching a path any of `patterns` matches, or None without patterns."""
    parts = [_translate(pattern)[0] for pattern in sorted(set(patterns))]
    return re.compile("|".join(f"(?:{part})" for part in parts)) if parts else None
