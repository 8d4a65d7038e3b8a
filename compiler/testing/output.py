"""`regate test` results as text, JSON or JUnit XML."""

from __future__ import annotations

import json
from xml.etree import ElementTree

from .runner import CaseResult, SetResult, rule_source


def _where(path: list) -> str:
    """`rules.critical_fixable` for ["cases", 0, "expect", "rules", "critical_fixable"]."""
    parts = [str(p) for p in path[3:]] if path[:1] == ["cases"] else [str(p) for p in path]
    return ".".join(parts) or "expect"


def _show(value) -> str:
    if isinstance(value, str):
        return value
    return json.dumps(value, sort_keys=True)


def describe_failure(result: CaseResult, failure: dict, compiled) -> list[str]:
    """Lines explaining one failed expectation: where it is written, expected vs actual, the rule."""
    path = failure.get("path") or []
    span = result.test.file.span_of(path)
    expected = failure.get("expected")
    actual = failure.get("actual")
    if isinstance(actual, list):
        shown = [f.get("message", _show(f)) if isinstance(f, dict) else _show(f) for f in actual[:5]]
        lines = [f"{span}: {_where(path)}: expected {_show(expected)}",
                 "  actual findings: " + ("; ".join(shown) if shown else "none") + (" …" if len(actual) > 5 else "")]
    else:
        lines = [f"{span}: {_where(path)}: expected {_show(expected)}, got {_show(actual)}"]
    found = failure.get("findings")
    if found is not None:
        lines.append("  findings: " + ("; ".join(found[:5]) if found else "none") + (" …" if len(found) > 5 else ""))
    rule = (expected.get("rule") if isinstance(expected, dict) else None) or (
        path[4] if len(path) > 4 and path[3] in ("rules", "counts") else None)
    if isinstance(rule, str):
        policy = expected.get("policy") if isinstance(expected, dict) else None
        if "/" in rule and policy is None:
            policy, rule = rule.split("/", 1)
        source = rule_source(compiled, rule, policy)
        if source is not None:
            lines.append(f"  rule {rule} is defined at {source}")
    return lines


def text(sets: list[SetResult], seconds: float, threshold: float | None) -> str:
    out: list[str] = []
    counts = {"PASS": 0, "FAIL": 0, "ERROR": 0}
    for result_set in sets:
        current = None
        for result in result_set.results:
            counts[result.status] += 1
            if result.test.file.display != current:
                current = result.test.file.display
                out.append(current)
            case = result.test.case
            out.append(f"  {result.status:<5} {case.name}  ({current}:{case.span.line})")
            if result.error:
                out.append(f"        {result.error}")
            for failure in result.failures:
                out.extend("        " + line for line in describe_failure(result, failure, result_set.compiled))
        if result_set.coverage is not None:
            cov = result_set.coverage
            failing = sum(r.status != "PASS" for r in result_set.results)
            scope = f", by the {len(result_set.results) - failing} passing cases" if failing else ""
            out.append(f"coverage of {result_set.root}: {cov.percent:.1f}% of policy lines ({cov.covered}/{cov.total}){scope}")
            for gap in cov.gaps:
                what = gap.text if gap.kind == "rule" else f"condition never held: {gap.text}"
                out.append(f"  {gap.span}: {what}")
            if threshold is not None and cov.percent < threshold:
                out.append(f"  below the threshold of {threshold:g}%")
    summary = f"{counts['PASS']} passed, {counts['FAIL']} failed" + (f", {counts['ERROR']} errors" if counts["ERROR"] else "")
    out.append(f"{summary} in {seconds:.2f}s")
    return "\n".join(out) + "\n"


def as_json(sets: list[SetResult], seconds: float) -> str:
    payload = {"sets": [], "seconds": round(seconds, 3)}
    for result_set in sets:
        cases = []
        for result in result_set.results:
            case = result.test.case
            cases.append({
                "file": result.test.file.display, "case": case.name, "line": case.span.line,
                "status": result.status, "error": result.error,
                "failures": [{**f, "location": result.test.file.span_of(f.get("path") or []).as_json(),
                              "explanation": describe_failure(result, f, result_set.compiled)}
                             for f in result.failures],
            })
        payload["sets"].append({
            "root": str(result_set.root), "cases": cases,
            "coverage": result_set.coverage.as_json() if result_set.coverage else None,
        })
    return json.dumps(payload, indent=2, sort_keys=True) + "\n"


def junit(sets: list[SetResult], seconds: float) -> str:
    suites = ElementTree.Element("testsuites", name="regate test", time=f"{seconds:.3f}")
    by_file: dict[str, list[tuple[CaseResult, SetResult]]] = {}
    for result_set in sets:
        for result in result_set.results:
            by_file.setdefault(result.test.file.display, []).append((result, result_set))
    for file, results in by_file.items():
        suite = ElementTree.SubElement(
            suites, "testsuite", name=file, tests=str(len(results)),
            failures=str(sum(r.status == "FAIL" for r, _ in results)),
            errors=str(sum(r.status == "ERROR" for r, _ in results)))
        for result, result_set in results:
            case = ElementTree.SubElement(suite, "testcase", name=result.test.case.name, classname=file,
                                          file=file, line=str(result.test.case.span.line), time=f"{result.seconds:.3f}")
            if result.status == "FAIL":
                detail = "\n".join(line for f in result.failures for line in describe_failure(result, f, result_set.compiled))
                element = ElementTree.SubElement(case, "failure", message=f"{len(result.failures)} expectation(s) not met")
                element.text = detail
            elif result.status == "ERROR":
                ElementTree.SubElement(case, "error", message=result.error or "error")
    ElementTree.indent(suites)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ElementTree.tostring(suites, encoding="unicode") + "\n"
