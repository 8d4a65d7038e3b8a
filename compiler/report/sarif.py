"""`--format sarif`: SARIF 2.1.0 for GitHub code scanning and other SARIF viewers.

One run. Every rule of the policy set is a reporting descriptor with its
title, description, remediation, links, action and severity (GitHub's
`security-severity`); every finding a result located at its rule in the
policy sources, so code scanning shows it on the line that made it. Excepted
findings stay, suppressed (`inSource`, accepted) with the exception as the
justification. A denylisted image is a result of the synthetic rule
`regate/denylisted-image` at the deny entry. A rule whose data is unavailable
is a `review` result at the rule (a warning: not a pass). Inputs that could
not be evaluated are error notifications of the invocation.
"""

from __future__ import annotations

import hashlib
import json
import re

from . import Result, Run, data_summary, location, unavailable, unavailable_message

SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
DENYLISTED = "regate/denylisted-image"
_LEVELS = {"STOP": "error", "WARN": "warning", "GO": "note"}
_SECURITY_SEVERITY = {"critical": "9.5", "high": "8.0", "medium": "5.5", "low": "3.0", "negligible": "0.5"}


def render(run: Run) -> str:
    rules = _rules(run)
    index = {rule["id"]: i for i, rule in enumerate(rules)}
    results = [entry for result in run.results for entry in _results(run, result, index)]
    notifications = [
        {"level": "error", "message": {"text": f"{result.subject}: {error}"}}
        for result in run.results for error in result.decision["errors"]
    ]
    log = {
        "$schema": SCHEMA,
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {"name": "regate", "version": run.regate_version,
                                "semanticVersion": run.regate_version, "rules": rules}},
            "invocations": [{"executionSuccessful": not run.failed, "exitCode": run.exit_code,
                             "toolExecutionNotifications": notifications}],
            "results": results,
            "properties": {
                "verdict": run.verdict,
                "policyRevision": run.policy.revision,
                "engine": run.engine.as_json(),
                "images": [{"subject": r.subject, "image": r.decision["image"], "finalAction": r.decision["final_action"],
                            "finalReason": r.decision["final_reason"], "data": data_summary(r.decision)[0],
                            "noData": data_summary(r.decision)[1]} for r in run.results],
            },
        }],
    }
    return json.dumps(log, indent=2, ensure_ascii=False) + "\n"


def _rules(run: Run) -> list[dict]:
    rules = []
    for policy_id, policy in sorted(run.policy.config.get("policies", {}).items()):
        for rule_id, meta in sorted(policy.get("rules", {}).items()):
            rules.append(_descriptor(f"{policy_id}/{rule_id}", policy_id, meta))
    if any((r.decision.get("image_rule") or {}).get("verdict") == "deny" for r in run.results):
        rules.append({
            "id": DENYLISTED,
            "name": "DenylistedImage",
            "shortDescription": {"text": "Denylisted image"},
            "fullDescription": {"text": "The image matches a `deny image` entry of the policy set."},
            "defaultConfiguration": {"level": "error"},
            "properties": {"action": "STOP", "tags": ["regate"]},
        })
    return rules


def _descriptor(rule_id: str, policy_id: str, meta: dict) -> dict:
    title = meta.get("title") or rule_id
    links = [link for link in meta.get("links") or [] if re.match(r"^https?://\S+$", link)]
    help_lines = [meta["remediation"]] if meta.get("remediation") else []
    help_lines += [f"See {link}" for link in links]
    descriptor = {
        "id": rule_id,
        "name": rule_id,
        "shortDescription": {"text": title},
        "fullDescription": {"text": meta.get("description") or title},
        "help": {"text": "\n".join(help_lines) or title,
                 "markdown": "\n\n".join([meta.get("remediation") or title, *[f"<{link}>" for link in links]])},
        "defaultConfiguration": {"level": _LEVELS.get(meta.get("action"), "warning")},
        "properties": {"action": meta.get("action"), "policy": policy_id, "tags": ["security", "regate", f"policy:{policy_id}"]},
    }
    if links:
        descriptor["helpUri"] = links[0]
    if meta.get("severity") in _SECURITY_SEVERITY:
        descriptor["properties"]["severity"] = meta["severity"]
        descriptor["properties"]["security-severity"] = _SECURITY_SEVERITY[meta["severity"]]
    return descriptor


def _results(run: Run, result: Result, index: dict[str, int]) -> list[dict]:
    out = []
    rule = result.decision.get("image_rule") or {}
    if rule.get("verdict") == "deny":
        reason = f": {rule['reason']}" if rule.get("reason") else ""
        out.append(_result(run, result, DENYLISTED, index, "STOP", f"{result.image} is denylisted by {rule.get('pattern')!r}{reason}",
                           rule.get("source"), "image", {}))
    for entry in unavailable(result.decision):
        # `review`: nobody can say whether the rule holds; it had no data to look at.
        rule_id = f"{entry['policy']}/{entry['rule']}"
        unseen = _result(run, result, rule_id, index, "WARN", f"{result.image}: {unavailable_message(entry)}",
                         entry.get("source"), "data-unavailable", {"missing": entry.get("missing") or []})
        out.append({**unseen, "kind": "review"})
    for finding in result.decision["findings"]:
        rule_id = f"{finding['policy']}/{finding['rule']}"
        entry = _result(run, result, rule_id, index, finding["action"], f"{result.image}: {finding['message']}",
                        finding.get("source"), finding["key"],
                        {"action": finding["action"], "effectiveAction": finding["effective_action"],
                         "exception": finding.get("exception"), "expiredExceptions": finding.get("expired_exceptions") or []})
        exception = finding.get("exception")
        if exception:
            justification = exception["id"] + (f" until {exception['until']}" if exception.get("until") else "")
            justification += f": {exception['reason']}" if exception.get("reason") else ""
            entry["suppressions"] = [{"kind": "inSource", "status": "accepted", "justification": justification}]
        out.append(entry)
    return out


def _result(run: Run, result: Result, rule_id: str, index: dict[str, int], action: str, message: str,
            source: str | None, key: str, properties: dict) -> dict:
    entry = {
        "ruleId": rule_id,
        "kind": "informational" if action == "GO" else "fail",
        "level": "none" if action == "GO" else _LEVELS[action],
        "message": {"text": message},
        "partialFingerprints": {"regateFinding/v1": _fingerprint(result, rule_id, key)},
        "properties": {"subject": result.subject, "image": result.image, "key": key, **properties},
    }
    if rule_id in index:
        entry["ruleIndex"] = index[rule_id]
    where = location(run.policy, source)
    if where:
        entry["locations"] = [{"physicalLocation": {
            "artifactLocation": {"uri": where.path if not where.path.startswith("/") else f"file://{where.path}"},
            "region": {"startLine": where.line, "startColumn": where.column},
        }}]
    return entry


def _fingerprint(result: Result, rule_id: str, key: str) -> str:
    # The repository without tag or digest: a rebuilt or re-tagged image keeps its alerts.
    reference = (result.decision.get("image") or {}).get("reference")
    name = re.sub(r"(@sha256:[0-9a-f]+|:[^/:]+)$", "", reference) if reference else result.image
    return hashlib.sha256(f"{name}\0{rule_id}\0{key}".encode()).hexdigest()
