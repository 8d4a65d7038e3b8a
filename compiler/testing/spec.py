"""Test files: `*_test.yaml` beside the policies, read into cases with located errors.

```yaml
now: "2026-06-01T00:00:00Z"          # optional, for every case
cases:
  - name: a fixable critical vulnerability stops the build
    input: {vulnerabilities: {...}}   # partial input document, completed with defaults
    input_file: inputs/scan.json      # or a file (or list): scanner output or input document
    baseline_file: inputs/prev.json   # optional: `changes` against this document
    now: "2027-03-02T00:00:00Z"       # optional, overrides the file's
    expect:
      action: STOP                    # final action
      reason: policy_evaluation       # final reason
      rules: {critical_fixable: FAIL, runs_as_root: PASS}   # PASS / FAIL / UNAVAILABLE / SKIP
      counts: {critical_fixable: 1}   # number of findings of the rule
      findings:                       # each must match one finding of the rule
        - {rule: critical_fixable, key: "...", message: "exact text", action: STOP}
        - {rule: critical_fixable, message: {matches: "^CVE-"}}
      exceptions:                     # each must have been applied to a finding of the rule
        - {rule: critical_fixable, id: "policy:production/critical_fixable#1"}
```
A rule is named by its id, or `policy/rule` when several policies have it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from ..checks.exprs import regex_problem
from ..diagnostics import Diagnostic, Diagnostics, Span, did_you_mean, error
from ..loader import MAX_POLICY_BYTES, Unreadable, decode, read_bytes
from ..model import PolicySet
from .yamlspan import load_located

TEST_SUFFIXES = ("_test.yaml", "_test.yml")
ACTIONS = ("STOP", "WARN", "GO")
REASONS = ("policy_evaluation", "denylisted", "allowlisted", "no_mapping", "invalid_input", "data_unavailable")
STATUSES = ("PASS", "FAIL", "UNAVAILABLE", "SKIP")
FILE_KEYS = {"now": str, "cases": list, "description": str}
CASE_KEYS = {"name": str, "input": dict, "input_file": (str, list), "baseline_file": str, "now": str, "expect": dict}
EXPECT_KEYS = {"action": str, "reason": str, "rules": dict, "counts": dict, "findings": list, "exceptions": list}
FINDING_KEYS = {"rule": str, "policy": str, "key": str, "message": (str, dict), "action": str}
EXCEPTION_KEYS = {"rule": str, "policy": str, "id": str, "key": str}
_RFC3339 = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$")


@dataclass(frozen=True)
class Case:
    index: int
    name: str
    span: Span
    input: dict
    input_files: tuple[Path, ...]
    baseline_file: Path | None
    now: str | None
    expect: dict  # the shape rego/regate/testing expects


@dataclass(frozen=True)
class TestFile:
    path: Path
    display: str
    source: str
    cases: tuple[Case, ...]
    spans: dict = field(compare=False, repr=False)

    def span_of(self, path: list) -> Span:
        """The closest located node to a path reported by a failing expectation."""
        parts = tuple(path)
        while parts and parts not in self.spans:
            parts = parts[:-1]
        return self.spans.get(parts, Span(self.display, 1, 1, 1, 1))


def is_test_file(path: Path) -> bool:
    return path.name.endswith(TEST_SUFFIXES)


def load_test_file(path: Path, display: str, policy_set: PolicySet) -> TestFile:
    try:
        source = decode(read_bytes(path, MAX_POLICY_BYTES, "test files"))
    except Unreadable as exc:
        raise Diagnostics([error("E601", Span(display, 1, 1, 1, 1), f"cannot read {display}: {exc}")]) from None
    value, spans = load_located(display, source)
    checker = _Checker(display, spans, policy_set)
    cases = checker.file(value, path.parent)
    if checker.problems:
        raise Diagnostics(checker.problems)
    return TestFile(path, display, source, tuple(cases), spans)


class _Checker:
    def __init__(self, display: str, spans: dict, policy_set: PolicySet):
        self.display = display
        self.spans = spans
        self.problems: list[Diagnostic] = []
        self.rules = {(p.id, r.id) for p in policy_set.policies for r in p.rules}

    def span(self, path: tuple, key: bool = False) -> Span:
        if key and path and (path[:-1] + (("key", path[-1]),)) in self.spans:
            return self.spans[path[:-1] + (("key", path[-1]),)]
        return self.spans.get(path) or Span(self.display, 1, 1, 1, 1)

    def report(self, code: str, path: tuple, message: str, hint: str | None = None, key: bool = False) -> None:
        self.problems.append(error(code, self.span(path, key), message, hint))

    def mapping(self, value, path: tuple, allowed: dict, required: tuple = ()) -> dict | None:
        if not isinstance(value, dict):
            self.report("E603", path, f"expected a mapping here, not {_kind(value)}")
            return None
        for key, item in value.items():
            if key not in allowed:
                self.report("E602", path + (key,), f'unknown key "{key}"',
                            did_you_mean(str(key), set(allowed)) or f"keys: {', '.join(sorted(allowed))}", key=True)
            elif item is not None and not isinstance(item, allowed[key]):
                wanted = allowed[key] if isinstance(allowed[key], tuple) else (allowed[key],)
                names = " or ".join(_TYPE_NAMES[t] for t in wanted)
                self.report("E603", path + (key,), f'"{key}" must be {names}, not {_kind(item)}')
        for key in required:
            if key not in value:
                self.report("E603", path, f'missing "{key}"')
        return value

    # --------------------------------------------------------------- file
    def file(self, value, folder: Path) -> list[Case]:
        top = self.mapping(value, (), FILE_KEYS, ("cases",))
        if top is None or not isinstance(top.get("cases"), list):
            return []
        self.timestamp(top.get("now"), ("now",))
        cases, names = [], {}
        for index, item in enumerate(top["cases"]):
            case = self.case(item, index, folder, top.get("now"))
            if case is None:
                continue
            if case.name in names:
                self.report("E608", ("cases", index, "name"), f'another case is named "{case.name}"',
                            f"the first is at {names[case.name]}")
            names.setdefault(case.name, case.span)
            cases.append(case)
        return cases

    def timestamp(self, value, path: tuple) -> None:
        if isinstance(value, str) and not _RFC3339.match(value):
            self.report("E610", path, f'"{value}" is not an RFC 3339 timestamp', 'e.g. "2026-06-01T00:00:00Z"')

    def case(self, item, index: int, folder: Path, default_now: str | None) -> Case | None:
        path = ("cases", index)
        case = self.mapping(item, path, CASE_KEYS, ("name", "expect"))
        if case is None or not isinstance(case.get("name"), str):
            return None
        self.timestamp(case.get("now"), path + ("now",))
        files = case.get("input_file") or []
        files = [files] if isinstance(files, str) else files
        resolved = []
        for i, name in enumerate(files):
            where = path + ("input_file",) + ((i,) if isinstance(case.get("input_file"), list) else ())
            resolved.append(self.existing(folder, name, where))
        baseline = self.existing(folder, case["baseline_file"], path + ("baseline_file",)) if case.get("baseline_file") else None
        expect = self.expect(case.get("expect") or {}, path + ("expect",))
        return Case(index, case["name"], self.span(path), case.get("input") or {}, tuple(p for p in resolved if p),
                    baseline, case.get("now") or default_now, expect)

    def existing(self, folder: Path, name, path: tuple) -> Path | None:
        if not isinstance(name, str):
            self.report("E603", path, f"expected a file name, not {_kind(name)}")
            return None
        candidate = folder / name
        if not candidate.exists():
            self.report("E606", path, f"file not found: {name}", f"paths are relative to {folder}")
            return None
        return candidate

    # ------------------------------------------------------------- expect
    def expect(self, value, path: tuple) -> dict:
        expect = self.mapping(value, path, EXPECT_KEYS) or {}
        out = {"path": list(path), "action": None, "reason": None, "rules": [], "counts": [], "findings": [],
               "exceptions": []}
        if "action" in expect:
            out["action"] = self.choice(expect["action"], path + ("action",), ACTIONS)
        if "reason" in expect:
            out["reason"] = self.choice(expect["reason"], path + ("reason",), REASONS, upper=False)
        for name, status in (expect.get("rules") or {}).items():
            where = path + ("rules", name)
            out["rules"].append({**self.rule(name, where), "status": self.choice(status, where, STATUSES),
                                 "path": list(where)})
        for name, number in (expect.get("counts") or {}).items():
            where = path + ("counts", name)
            if not isinstance(number, int) or isinstance(number, bool) or number < 0:
                self.report("E603", where, f"a count must be a whole number, not {number!r}")
            out["counts"].append({**self.rule(name, where), "count": number, "path": list(where)})
        for i, item in enumerate(expect.get("findings") or []):
            out["findings"].append(self.finding(item, path + ("findings", i)))
        for i, item in enumerate(expect.get("exceptions") or []):
            where = path + ("exceptions", i)
            entry = self.mapping(item, where, EXCEPTION_KEYS, ("rule", "id")) or {}
            out["exceptions"].append({**self.rule(entry.get("rule", ""), where + ("rule",), entry.get("policy")),
                                      "id": entry.get("id"), "key": entry.get("key"), "path": list(where)})
        return out

    def finding(self, item, where: tuple) -> dict:
        entry = self.mapping(item, where, FINDING_KEYS, ("rule",)) or {}
        message, matches = entry.get("message"), None
        if isinstance(message, dict):
            self.mapping(message, where + ("message",), {"matches": str}, ("matches",))
            message, matches = None, message.get("matches")
            problem = regex_problem(matches) if isinstance(matches, str) else None
            if problem:
                self.report("E607", where + ("message", "matches"), f"invalid regular expression: {problem}")
        action = self.choice(entry["action"], where + ("action",), ACTIONS) if "action" in entry else None
        return {**self.rule(entry.get("rule", ""), where + ("rule",), entry.get("policy")), "key": entry.get("key"),
                "message": message, "matches": matches, "action": action, "path": list(where)}

    def choice(self, value, path: tuple, allowed: tuple, upper: bool = True) -> str | None:
        text = str(value).upper() if upper and isinstance(value, str) else value
        if text not in allowed:
            self.report("E605", path, f"{value!r} is not one of {', '.join(allowed)}")
            return None
        return text

    def rule(self, name, path: tuple, policy: str | None = None) -> dict:
        """`rule` or `policy/rule` → {"rule": ..., "policy": ...}, checked against the policy set."""
        if not isinstance(name, str):
            return {"rule": None, "policy": policy}
        if "/" in name and policy is None:
            policy, name = name.split("/", 1)
        known = {r for p, r in self.rules if policy is None or p == policy}
        if name not in known:
            scope = f' in policy "{policy}"' if policy else ""
            self.report("E604", path, f'no rule "{name}"{scope}', did_you_mean(name, known), key=True)
        return {"rule": name, "policy": policy}


_TYPE_NAMES = {str: "a string", list: "a list", dict: "a mapping", int: "a number"}


def _kind(value) -> str:
    if value is None:
        return "nothing"
    return _TYPE_NAMES.get(type(value), type(value).__name__)
