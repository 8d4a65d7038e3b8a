"""Coverage in terms of policy lines, from OPA's coverage of the generated Rego.

OPA marks an expression covered when it is evaluated. A policy condition is
*exercised* when it held at least once, i.e. when the statement after it (or,
for the last one, the rule head) was reached; a rule is exercised when it
produced a finding. The source maps written by the code generator connect
Rego lines to policy lines.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from ..diagnostics import Span


@dataclass(frozen=True)
class Gap:
    kind: str  # rule | condition
    rule: str
    span: Span
    text: str


@dataclass(frozen=True)
class Coverage:
    covered: int
    total: int
    gaps: tuple[Gap, ...]

    @property
    def percent(self) -> float:
        return 100.0 * self.covered / self.total if self.total else 100.0

    def as_json(self) -> dict:
        return {
            "percent": round(self.percent, 1), "covered_lines": self.covered, "total_lines": self.total,
            "not_exercised": [{"kind": g.kind, "rule": g.rule, "text": g.text, "location": g.span.as_json()}
                              for g in self.gaps],
        }


def _covered_rows(report: dict, file: str) -> set[int]:
    rows: set[int] = set()
    for block in report.get("files", {}).get(file, {}).get("covered", []):
        rows.update(range(block["start"]["row"], block["end"]["row"] + 1))
    return rows


def _source_text(sources: dict[str, str], span: Span) -> str:
    lines = sources.get(span.file, "").splitlines()
    if not 1 <= span.line <= len(lines):
        return ""
    line = lines[span.line - 1]
    end = span.end_column - 1 if span.end_line == span.line else len(line)
    return line[span.column - 1:end].strip()


def compute(report: dict, bundle_dir: Path, source_maps: dict[str, tuple], sources: dict[str, str]) -> Coverage:
    held_by_line: dict[tuple[str, int], bool] = {}
    gaps: list[Gap] = []
    for module, entries in sorted(source_maps.items()):
        rows = _covered_rows(report, str(bundle_dir / module))
        for entry in entries:
            held = entry.held_line in rows
            if entry.kind == "rule":
                if not held:
                    gaps.append(Gap("rule", entry.rule, entry.span, f"rule {entry.rule} never matched"))
                continue
            place = (entry.span.file, entry.span.line)
            held_by_line[place] = held_by_line.get(place, True) and held
            if not held:
                gaps.append(Gap("condition", entry.rule, entry.span, _source_text(sources, entry.span)))
    unique = {(g.kind, g.span): g for g in gaps}
    ordered = sorted(unique.values(), key=lambda g: (g.span.file, g.span.line, g.span.column, g.kind))
    return Coverage(sum(held_by_line.values()), len(held_by_line), tuple(ordered))
