"""The Dockerfile an image was built from → `image.dockerfile`.

Two ways to know it, as Anchore has them: *actual*, a Dockerfile given with
`--dockerfile` and parsed here (BuildKit's rules: parser directives, line
continuations, heredocs, ARG/ENV substitution in the instructions Docker
substitutes, multi-stage builds); *guessed*, reconstructed from the image
history the way Anchore's analyzer does (`FROM scratch`, then each history
step: `#(nop)` steps as the instruction they name, anything else as RUN).
Policies can tell the two apart (Anchore's dockerfile gate does).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from .. import __version__
from ..errors import InputError
from .adapters.imageconfig import parse_reference
from .base import Extraction, Source
from .jsonload import read_text

# A Dockerfile of a few hundred kilobytes is already unusual.
MAX_DOCKERFILE_BYTES = 4 << 20

INSTRUCTIONS = frozenset({
    "ADD", "ARG", "CMD", "COPY", "ENTRYPOINT", "ENV", "EXPOSE", "FROM", "HEALTHCHECK", "LABEL", "MAINTAINER",
    "ONBUILD", "RUN", "SHELL", "STOPSIGNAL", "USER", "VOLUME", "WORKDIR",
})
# Docker expands variables in these only; RUN, CMD and ENTRYPOINT are left to the shell.
_SUBSTITUTED = frozenset({"ADD", "COPY", "ENV", "EXPOSE", "FROM", "LABEL", "STOPSIGNAL", "USER", "VOLUME", "WORKDIR"})
_HEREDOC_TAKERS = frozenset({"RUN", "COPY", "ADD"})

_DIRECTIVE = re.compile(r"^#\s*([A-Za-z]+)\s*=\s*(\S*)\s*$")
_HEREDOC = re.compile(r"<<(-?)\s*([\"']?)([A-Za-z0-9_.-]+)\2")
_VARIABLE = re.compile(r"\$(?:\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-+])([^}]*))?\}|([A-Za-z_][A-Za-z0-9_]*))")
_WORD = re.compile(r"""(?:"(?:\\.|[^"\\])*"|'[^']*'|\\.|[^\s"'\\])+""")
_FLAG = re.compile(r"^--[a-z-]+(?:=\S*)?$")


@dataclass
class _Line:
    number: int
    instruction: str
    value: str


@dataclass
class _Stage:
    index: int
    name: str = ""
    args: dict[str, str] = field(default_factory=dict)
    # ENV is part of the image: a stage built on an earlier one inherits it, not its ARGs.
    env: dict[str, str] = field(default_factory=dict)

    @property
    def variables(self) -> dict[str, str]:
        return {**self.args, **self.env}


def read_dockerfile(path: Path) -> Extraction:
    """`--dockerfile FILE`: the Dockerfile's instructions, recorded as actual."""
    if not path.is_file():
        raise InputError(str(path), "no such file (--dockerfile takes the Dockerfile the image was built from)")
    text = read_text(path, MAX_DOCKERFILE_BYTES)
    dockerfile = {"mode": "actual", "path": str(path), "instructions": parse_dockerfile(text, str(path))}
    return Extraction({"image": {"dockerfile": dockerfile}}, Source("regate", "dockerfile", __version__, str(path)))


def parse_dockerfile(text: str, path: str) -> list[dict]:
    lines = _logical_lines(text.removeprefix("\ufeff"), path)
    if not any(line.instruction == "FROM" for line in lines):
        raise InputError(path, "is not a Dockerfile: it has no FROM instruction")
    last_stage = sum(line.instruction == "FROM" for line in lines) - 1
    global_args: dict[str, str] = {}
    stages: list[_Stage] = []
    out = []
    for index, line in enumerate(lines):
        stage = stages[-1] if stages else None
        value = line.value
        if line.instruction in _SUBSTITUTED:
            value = substitute(value, global_args if stage is None or line.instruction == "FROM" else stage.variables)
        item: dict = {"index": index, "instruction": line.instruction, "value": value, "line": line.number}
        if line.instruction == "FROM":
            stage = _from(value, len(stages), stages, item)
            stages.append(stage)
        elif line.instruction == "ARG":
            _declare_args(value, stage.args if stage else global_args, global_args if stage else None)
        elif line.instruction == "ENV" and stage is not None:
            stage.env.update(_env_pairs(value))
        number = stage.index if stage else 0
        item["stage"] = number
        if stage and stage.name:
            item["stage_name"] = stage.name
        item["final_stage"] = number == last_stage
        out.append(item)
    return out


def _from(value: str, number: int, stages: list[_Stage], item: dict) -> _Stage:
    """The stage a FROM opens; the image it names, unless it builds on an earlier stage."""
    words = [w for w in value.split() if not _FLAG.match(w)]
    name = words[2].lower() if len(words) >= 3 and words[1].lower() == "as" else ""
    base = words[0] if words else ""
    parent = next((s for s in stages if s.name and s.name == base.lower()), None)
    if parent is not None:
        return _Stage(number, name, env=dict(parent.env))
    if base and base != "scratch":
        reference = parse_reference(base)
        if reference is not None:
            digest = base.partition("@")[2]
            item["image"] = {**reference, **({"digest": digest} if digest else {})}
    return _Stage(number, name)


def _declare_args(value: str, scope: dict[str, str], global_args: dict[str, str] | None) -> None:
    """`ARG a b=c`: a stage's ARG without a default takes the global one of that name (BuildKit)."""
    for word in _WORD.findall(value):
        name, sep, default = word.partition("=")
        if sep:
            scope[name] = _unquote(default)
        elif global_args is not None and name in global_args:
            scope[name] = global_args[name]
        else:
            scope.setdefault(name, "")


def _env_pairs(value: str) -> list[tuple[str, str]]:
    """`ENV a=1 b="x y"`, or the legacy `ENV name the rest of the line`."""
    words = _WORD.findall(value)
    if words and "=" not in words[0]:
        name, _, rest = value.strip().partition(" ")
        return [(name, rest.strip())]
    return [(name, _unquote(rest)) for name, _, rest in (w.partition("=") for w in words)]


def _unquote(text: str) -> str:
    if len(text) >= 2 and text[0] == text[-1] and text[0] in "\"'":
        return text[1:-1]
    return text


def substitute(text: str, variables: dict[str, str]) -> str:
    """`$name`, `${name}`, `${name:-default}`, `${name:+alternative}` as Docker expands them. A name the
    Dockerfile never declares may come from the base image's environment, which it does not show: kept
    as written rather than guessed empty."""
    def expand(match: re.Match) -> str:
        name = match[1] or match[4]
        if name not in variables:
            return match[0]
        value = variables.get(name)
        if match[2] in (":-", "-"):
            return value if value or (match[2] == "-" and value is not None) else match[3]
        if match[2] in (":+", "+"):
            return match[3] if value or (match[2] == "+" and value is not None) else ""
        return value or ""

    out, position = [], 0
    for match in _VARIABLE.finditer(text):
        if match.start() and text[match.start() - 1] == "\\":  # `\$x` is a literal dollar
            out += [text[position:match.start() - 1], match[0]]
        else:
            out += [text[position:match.start()], expand(match)]
        position = match.end()
    out.append(text[position:])
    return "".join(out)


def _logical_lines(text: str, path: str) -> list[_Line]:
    """Instructions with their continuations joined and heredoc bodies appended, each with its first line."""
    physical = text.splitlines()
    escape = "\\"
    position = 0
    while position < len(physical):  # parser directives: only at the very top
        directive = _DIRECTIVE.match(physical[position].strip())
        if not directive:
            break
        if directive[1].lower() == "escape":
            if directive[2] not in ("\\", "`"):
                raise InputError(path, f"line {position + 1}: escape must be \\ or `, not {directive[2]!r}")
            escape = directive[2]
        position += 1
    out: list[_Line] = []
    while position < len(physical):
        start = position
        line = physical[position].strip()
        position += 1
        if not line or line.startswith("#"):
            continue
        parts = []
        while line.endswith(escape) and position < len(physical):
            parts.append(line[:-1])
            # Comment lines inside a continuation are dropped, blank ones skipped.
            while position < len(physical) and (not physical[position].strip() or physical[position].lstrip().startswith("#")):
                position += 1
            line = physical[position].strip() if position < len(physical) else ""
            position += 1
        parts.append(line.removesuffix(escape))
        joined = " ".join(part.strip() for part in parts if part.strip())
        keyword, _, value = joined.partition(" ")
        keyword = keyword.upper()
        if keyword not in INSTRUCTIONS:
            raise InputError(path, f"line {start + 1}: unknown instruction {keyword[:40]!r}; is this a Dockerfile?")
        value = value.strip()
        if keyword in _HEREDOC_TAKERS:
            value, position = _heredocs(value, physical, position, path, start)
        out.append(_Line(start + 1, keyword, value))
    return out


def _heredoc_markers(value: str) -> list[re.Match]:
    """The `<<WORD` markers outside quotes: `echo "a<<b"` opens no heredoc, `<<"EOF"` does."""
    found, quote, at = [], "", 0
    while at < len(value):
        char = value[at]
        if quote:
            quote = "" if char == quote else quote
        elif char in "\"'":
            quote = char
        elif value.startswith("<<", at) and (marker := _HEREDOC.match(value, at)):
            found.append(marker)
            at = marker.end()
            continue
        at += 1
    return found


def _heredocs(value: str, physical: list[str], position: int, path: str, start: int) -> tuple[str, int]:
    """`RUN <<EOF ... EOF`: each heredoc's body appended to the value, as BuildKit reads it."""
    bodies = []
    for strip_tabs, _, word in (marker.groups() for marker in _heredoc_markers(value)):
        body = []
        while True:
            if position >= len(physical):
                raise InputError(path, f"line {start + 1}: heredoc <<{word} is not terminated")
            line = physical[position]
            position += 1
            if (line.lstrip("\t") if strip_tabs else line) == word:
                break
            body.append(line.lstrip("\t") if strip_tabs else line)
        bodies.append("\n".join(body))
    return "\n".join([value, *bodies]), position


# ------------------------------------------------------------------ guessed from the history

_NOP = re.compile(r"^/bin/sh -c #\(nop\) +(.*)$", re.DOTALL)
# BuildKit writes the instruction itself: `RUN |2 A=1 B=2 /bin/sh -c make # buildkit`, `COPY . / # buildkit`.
_BUILDKIT_ARGS = re.compile(r"^\|\d+ (?:[A-Za-z_][A-Za-z0-9_]*=(?:\"[^\"]*\"|'[^']*'|\S*) )*")
_EXPOSE_MAP = re.compile(r"^map\[(.*)\]$")


def guessed_dockerfile(history: list[dict]) -> dict | None:
    """The Dockerfile Anchore guesses from an image's history: `FROM scratch`, then one
    instruction per history step; None without a history to guess from."""
    steps = [entry["created_by"] for entry in history if entry.get("created_by")]
    if not steps:
        return None
    instructions = [("FROM", "scratch")] + [_guess(step) for step in steps]
    return {"mode": "guessed", "instructions": [
        {"index": index, "instruction": keyword, "value": value, "stage": 0, "final_stage": True}
        for index, (keyword, value) in enumerate(instructions)
    ]}


def _guess(created_by: str) -> tuple[str, str]:
    text = created_by.strip()
    nop = _NOP.match(text)
    if nop:
        text = nop[1].strip()
    else:
        text = text.removesuffix("# buildkit").strip()
    keyword, _, value = text.partition(" ")
    if keyword not in INSTRUCTIONS:
        return "RUN", text  # a legacy builder's step: the command it ran
    value = value.strip()
    if keyword == "RUN":
        value = _BUILDKIT_ARGS.sub("", value)
    elif keyword == "EXPOSE":
        exposed = _EXPOSE_MAP.match(value)  # BuildKit: `EXPOSE map[80/tcp:{} 443/tcp:{}]`
        if exposed:
            value = " ".join(spec.removesuffix(":{}") for spec in exposed[1].split())
    return keyword, value
