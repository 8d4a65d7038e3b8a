"""How DefectDojo reads `anchore-cli --json evaluate check --detail` output, as a test oracle for
`--format anchore`.

Restated from DefectDojo's "Anchore Enterprise Policy Check" parser
(DefectDojo/django-DefectDojo, dojo/tools/anchore_enterprise/parser.py, read at commit
2256911a9e78cc3a27141a20eb40f210c8113ff9), without Django: the same walk through the document,
the same indexing of each row, the same splits and the same mapping of Gate_Action to severity,
so that whatever that parser would fail on (a missing key, a Repo_Tag without `:`, an unknown
policy id) fails here too. `test_the_consumer_reads_anchores_own_output` holds it to a real
Anchore Enterprise evaluation.
"""

from __future__ import annotations

import re
from dataclasses import dataclass


@dataclass(frozen=True)
class Finding:
    title: str
    description: str
    severity: str
    references: str
    file_path: str
    component_name: str
    component_version: str
    vulnerability_id: str | None


def read_findings(data) -> list[Finding]:
    findings = []
    for checks in data:  # a list of {digest: {tag: [evaluation]}}
        for policies in checks.values():
            for images in policies.values():
                for evaluation in images:
                    results = evaluation["detail"]["result"]
                    image_id = results["image_id"]
                    rows = results["result"][image_id]["result"]["rows"]
                    for row in rows:
                        repo, tag = row[1].split(":", 2)  # raises on a Repo_Tag with two colons, as DefectDojo does
                        trigger = row[2]
                        policy_id = row[8]
                        name = _policy_name(evaluation["detail"]["policy"]["policies"], policy_id)
                        findings.append(Finding(
                            title=f"{name} - gate|{row[3]} - trigger|{trigger}",
                            description=row[5],
                            severity={"stop": "Critical", "warn": "Medium"}.get(row[6], "Low"),
                            references=f"Policy ID: {policy_id}\nTrigger ID: {trigger}",
                            file_path=_file_path(row[5]),
                            component_name=repo,
                            component_version=tag,
                            vulnerability_id=_vulnerability_id(trigger),
                        ))
    return findings


def _policy_name(policies: list[dict], policy_id: str) -> str:
    return next((policy["name"] for policy in policies if policy["id"] == policy_id), "unknown")


def _vulnerability_id(trigger_id: str) -> str | None:
    parts = trigger_id.split("+", 2)
    if len(parts) != 2:
        return None
    return parts[0] if parts[0].startswith("CVE") else None


def _file_path(text: str) -> str:
    match = re.search(r" (/[^/ ]*)+/?", text)
    return match.group(0).strip() if match else ""
