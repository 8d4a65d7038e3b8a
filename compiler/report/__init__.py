"""Reports of a run: one module per format, each a `render(run) -> str` (json: UTF-8 bytes).

A `Run` holds one `Result` per evaluated image plus what produced them (the
policy revision and rule metadata, the engine, timings). Decisions are
redacted when a `Result` is made, with the secret values found in the input,
so no format can print a secret.
"""

from __future__ import annotations

import importlib
from dataclasses import InitVar, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple

from .. import __version__
from ..atomic import write_atomically
from ..engine import EngineInfo
from ..engine.decision import exit_code, worst

if TYPE_CHECKING:
    from ..engine.policy import PolicyInfo
    from ..engine.shapes import Serialised

FORMATS = ("text", "json", "sarif", "junit", "github", "markdown", "html", "anchore")
_MODULES = {"json": "jsonreport"}


@dataclass
class Result:
    # What the user named: a file, a directory entry, an image reference.
    subject: str
    decision: dict
    # Seconds spent per stage ("extract", "evaluate").
    timings: dict[str, float] = field(default_factory=dict)
    # The secret values the extractor found in the input: masked wherever they show, never kept.
    secrets: InitVar[frozenset[str]] = frozenset()
    # What a report needs of the input document beyond the decision: the whole document for
    # `--format json`, so that a report can serve as the next build's baseline; `drift` for
    # Markdown's "what changed"; nothing for the other formats. It is the document as evaluated,
    # concealed as `regate extract` writes it (`Subject.load` conceals every document), so it is
    # not redacted again: the detectors over every string of an image's files take seconds.
    # `check --format json` holds it as the JSON the engine sent (`engine.shapes.Serialised`).
    input: dict | Serialised | None = None
    # The plan from STOP to GO (`regate check --explain`, regate.explain), or None.
    explanation: dict | None = None

    def __post_init__(self, secrets: frozenset[str]) -> None:
        from .redact import redact  # the secret detectors are compiled on import: not before `regate check` starts OPA

        self.decision = redact(self.decision, secrets)
        if self.explanation is not None:
            # The patch is made of entries of the input document, masked when it was loaded, with the
            # same found secrets; it is most of the plan's size, and redacting it again would double
            # the cost of --explain. Everything a person reads is redacted like the decision.
            patch = self.explanation["patch"]
            self.explanation = dict(redact({k: v for k, v in self.explanation.items() if k != "patch"}, secrets),
                                    patch=patch)

    @property
    def image(self) -> str:
        """The image's best name: its reference, else digest or id, else the subject."""
        image = self.decision.get("image") or {}
        return image.get("reference") or image.get("digest") or image.get("id") or self.subject

    def counts(self) -> dict[str, int]:
        """Findings by effective action."""
        out = {"STOP": 0, "WARN": 0, "GO": 0}
        for finding in self.decision["findings"]:
            out[finding["effective_action"]] += 1
        return out


@dataclass(frozen=True)
class Run:
    results: tuple[Result, ...]
    policy: PolicyInfo
    engine: EngineInfo
    fail_on: str = "stop"
    timings: dict[str, float] = field(default_factory=dict)
    # Whether the bundle came from the compile cache; None when regate compiled nothing.
    cached: bool | None = None
    regate_version: str = __version__

    @property
    def verdict(self) -> str:
        return worst(r.decision["final_action"] for r in self.results)

    @property
    def exit_code(self) -> int:
        return exit_code((r.decision for r in self.results), self.fail_on)

    @property
    def failed(self) -> bool:
        """An input could not be evaluated (exit 2)."""
        return any(r.decision["errors"] for r in self.results)


class Location(NamedTuple):
    path: str
    line: int
    column: int


def location(policy: PolicyInfo, source: str | None) -> Location | None:
    """`file:line:col` of a policy source as a path CI tools can open."""
    if not source:
        return None
    file, _, rest = source.rpartition(":")
    file, _, line = file.rpartition(":")
    if not file or not line.isdigit() or not rest.isdigit():
        return None
    return Location(policy.source_path(file), int(line), int(rest))


def unavailable(decision: dict) -> list[dict]:
    """Evaluated rules that read data the input lacks (`decision.unavailable`)."""
    return decision.get("unavailable") or []


def unavailable_message(entry: dict) -> str:
    return (f"{entry['policy']}/{entry['rule']} could not be evaluated: data unavailable "
            f"({', '.join(entry.get('missing') or [])})")


def data_summary(decision: dict) -> tuple[str, str]:
    """(what data the evaluation had and from where, what data it lacked), one line each."""
    coverage = decision.get("coverage")
    if not coverage:
        return "not stated by the input document (taken as complete)", ""
    by_origin: dict[str, list[str]] = {}
    for kind, entry in coverage.items():
        if entry.get("sources"):
            absent = f" (without {'/'.join(entry['absent_fields'])})" if entry.get("absent_fields") else ""
            by_origin.setdefault(", ".join(entry["sources"]), []).append(kind + absent)
    had = "; ".join(f"{', '.join(kinds)} from {origin}" for origin, kinds in by_origin.items())
    return had or "none", ", ".join(kind for kind, entry in coverage.items() if not entry.get("sources"))


def render(fmt: str, run: Run, color: bool = False) -> str | bytes:
    """The report in `fmt`: text, or UTF-8 bytes where a format makes those (json)."""
    module = importlib.import_module(f".{_MODULES.get(fmt, fmt)}", __name__)
    return module.render(run, color=color) if fmt == "text" else module.render(run)


def write(path: Path, text: str | bytes) -> None:
    """Write a report so that readers see the whole of it or nothing. A report is output the
    check makes again, so it is not flushed to disk before it replaces the old one."""
    write_atomically(path, text.encode("utf-8") if isinstance(text, str) else text, durable=False)
