"""`--format junit`: JUnit XML for CI test-report views.

One testsuite per image; one testcase per rule of each evaluated policy,
`classname` `regate.<policy>`, named after the rule when it found nothing and
`<rule>: <finding key>` per finding, so names stay the same from run to run.

A STOP finding is a failure. A WARN finding passes (its message goes to
system-out) unless `--fail-on warn`, where it fails: the report fails exactly
when the exit code does. An excepted finding is skipped, with the exception
as the message, and so is a rule whose data is unavailable (it was not
evaluated, it did not pass). A denylisted image fails the testcase `image`; an
input that could not be evaluated is an error.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET

from ..engine.decision import FAIL_ON, rank
from . import Result, Run, data_summary, location, unavailable, unavailable_message


def render(run: Run) -> str:
    root = ET.Element("testsuites", name="regate")
    for result in run.results:
        root.append(_suite(run, result))
    for name in ("tests", "failures", "errors", "skipped"):
        root.set(name, str(sum(int(suite.get(name)) for suite in root)))
    root.set("time", _seconds(sum(sum(r.timings.values()) for r in run.results)))
    ET.indent(root)
    return ET.tostring(root, encoding="unicode", xml_declaration=True) + "\n"


def _suite(run: Run, result: Result) -> ET.Element:
    decision = result.decision
    suite = ET.Element("testsuite", name=result.image, time=_seconds(sum(result.timings.values())))
    properties = ET.SubElement(suite, "properties")
    for name, value in (("subject", result.subject), ("final_action", decision["final_action"]),
                        ("final_reason", decision["final_reason"]), ("mapping", decision.get("mapping") or ""),
                        ("policy_revision", run.policy.revision), ("data", data_summary(decision)[0]),
                        ("no_data", data_summary(decision)[1])):
        ET.SubElement(properties, "property", name=name, value=value)
    threshold = rank(FAIL_ON[run.fail_on])
    cases: list[ET.Element] = []
    for error in decision["errors"]:
        case = _case(cases, "regate", "input")
        ET.SubElement(case, "error", message=error, type=decision["final_reason"]).text = error
    rule = decision.get("image_rule")
    if rule:
        case = _case(cases, "regate", "image")
        text = f"{rule.get('verdict')} image {rule.get('pattern')!r}: {rule.get('reason') or ''}".rstrip(": ")
        if rule.get("verdict") == "deny":
            ET.SubElement(case, "failure", message=text, type="STOP").text = text
        else:
            ET.SubElement(case, "system-out").text = text
    findings_by_rule: dict[tuple[str, str], list[dict]] = {}
    for finding in decision["findings"]:
        findings_by_rule.setdefault((finding["policy"], finding["rule"]), []).append(finding)
    missing = {(u["policy"], u["rule"]): u for u in unavailable(decision)}
    for policy in decision["policies"]:
        rules = run.policy.config.get("policies", {}).get(policy["id"], {}).get("rules", {})
        for rule_id in sorted(set(rules) | {r for p, r in findings_by_rule if p == policy["id"]}):
            found = findings_by_rule.get((policy["id"], rule_id), [])
            if not found and (policy["id"], rule_id) in missing:
                # Not a pass: the rule had nothing to look at.
                message = unavailable_message(missing[(policy["id"], rule_id)])
                ET.SubElement(_case(cases, f"regate.{policy['id']}", rule_id), "skipped", message=message)
            elif not found:
                _case(cases, f"regate.{policy['id']}", rule_id)
            for finding in found:
                _finding_case(_case(cases, f"regate.{policy['id']}", f"{rule_id}: {finding['key']}"), finding, threshold,
                              location(run.policy, finding.get("source")))
    suite.extend(cases)
    suite.set("tests", str(len(cases)))
    for name, tag in (("failures", "failure"), ("errors", "error"), ("skipped", "skipped")):
        suite.set(name, str(sum(case.find(tag) is not None for case in cases)))
    return suite


def _case(cases: list[ET.Element], classname: str, name: str) -> ET.Element:
    # Two findings of one rule may share a key (different messages): number the repeats.
    taken = sum(c.get("classname") == classname and (c.get("name") == name or c.get("name").startswith(name + " #"))
                for c in cases)
    case = ET.Element("testcase", classname=classname, name=name if not taken else f"{name} #{taken + 1}")
    cases.append(case)
    return case


def _finding_case(case: ET.Element, finding: dict, threshold: int, where) -> None:
    action, effective = finding["action"], finding["effective_action"]
    text = f"{effective}: {finding['message']}" + (f" ({where.path}:{where.line}:{where.column})" if where else "")
    exception = finding.get("exception")
    if exception:
        until = f" until {exception['until']}" if exception.get("until") else ""
        reason = f": {exception['reason']}" if exception.get("reason") else ""
        ET.SubElement(case, "skipped", message=f"{action} excepted by {exception['id']}{until}{reason}")
    elif effective != "GO" and rank(effective) >= threshold:
        ET.SubElement(case, "failure", message=finding["message"], type=effective).text = text
    else:
        ET.SubElement(case, "system-out").text = text


def _seconds(value: float) -> str:
    return f"{value:.3f}"
