"""`--format anchore`: the policy-evaluation JSON of `anchore-cli --json evaluate check IMAGE --detail`,
so that what reads Anchore's results (DefectDojo's "Anchore Enterprise Policy Check" parser, CI
scripts) reads regate's unchanged.

One list item per image: `{image digest: {repo tag: [evaluation]}}`, the evaluation holding the
policy (`detail.policy`, in bundle shape) and the result table (Image_Id, Repo_Tag, Trigger_Id,
Gate, Trigger, Check_Output, Gate_Action, Whitelisted, Policy_Id). docs/reports.md describes the
mapping from regate's decision.
"""

from __future__ import annotations

import hashlib
import json
from datetime import datetime, timezone
from functools import cache

from .. import anchore_ids
from . import Result, Run

HEADER = ["Image_Id", "Repo_Tag", "Trigger_Id", "Gate", "Trigger", "Check_Output", "Gate_Action", "Whitelisted", "Policy_Id"]
# Anchore's final reasons for regate's: image allow/deny lists are Anchore's whitelisted/blacklisted images.
_REASONS = {"allowlisted": "whitelisted", "denylisted": "blacklisted"}
# Docker's notation for an image without a name: the table's Repo_Tag is always `name:tag`.
UNNAMED = "<none>:<none>"


def origin(rule: dict) -> tuple[str, str, str] | None:
    """(gate, trigger, Anchore rule id) of a rule imported from an Anchore bundle: its metadata's
    `origin` is `anchore:<gate>:<trigger>:<rule id>`."""
    parts = str(rule.get("origin") or "").split(":", 3)
    if len(parts) == 4 and parts[0] == "anchore" and parts[1] and parts[2]:
        return parts[1], parts[2], parts[3]
    return None


def gate_trigger(run: Run, policy_id: str, rule_id: str) -> tuple[str, str, bool]:
    """An imported rule's Anchore gate and trigger; a native rule's policy and rule ids. The flag
    says which."""
    found = origin(run.policy.rule(policy_id, rule_id))
    return (found[0], found[1], True) if found else (policy_id, rule_id, False)


def repo_tag(image: dict) -> str:
    reference = (image.get("reference") or "").partition("@")[0]
    return reference if ":" in reference.rsplit("/", 1)[-1] else UNNAMED


def trigger_id(gate: str, trigger: str, finding: dict, imported: bool) -> str:
    """An imported rule's finding has the trigger id Anchore gives it (anchore_ids.py). A native
    rule's is `<vulnerability id>+<package name>` for a vulnerability, else an md5 of gate, trigger
    and message (as Anchore hashes its other firings): stable from run to run."""
    if imported:
        return anchore_ids.trigger_id(gate, trigger, finding["key"], finding["message"])
    vulnerability, plus, package = finding["key"].partition("+")
    if plus and vulnerability and package:
        return f"{vulnerability}+{package.partition(':')[2].rpartition('@')[0] or package}"
    return hashlib.md5(json.dumps([gate, trigger, finding["message"]]).encode()).hexdigest()


def _whitelisted(finding: dict) -> dict | bool:
    exception = finding.get("exception")
    if not exception or finding["effective_action"] != "GO":
        return False
    return {"whitelist_id": exception["id"], "whitelist_name": exception["id"].partition("/")[0],
            "matched_rule_id": exception["id"]}


def _rows(run: Run, result: Result, image_id: str, tag: str) -> list[list]:
    rows = []
    for finding in result.decision["findings"]:
        gate, trigger, imported = gate_trigger(run, finding["policy"], finding["rule"])
        rows.append([image_id, tag, trigger_id(gate, trigger, finding, imported), gate, trigger, finding["message"],
                     finding["effective_action"].lower(), _whitelisted(finding), finding["policy"]])
    return rows


def bundle(run: Run) -> dict:
    """The evaluated policy in Anchore's bundle shape (`detail.policy`): consumers look policy names up in it."""
    config = run.policy.config
    policies = []
    for policy_id in config.get("policy_order") or sorted(config.get("policies", {})):
        policy = config["policies"].get(policy_id, {})
        rules = []
        for rule_id, rule in policy.get("rules", {}).items():
            gate, trigger, _ = gate_trigger(run, policy_id, rule_id)
            found = origin(rule)
            rules.append({"id": found[2] if found and found[2] else rule_id, "gate": gate, "trigger": trigger,
                          "action": rule.get("action", ""), "params": []})
        # An imported policy's id is the Anchore policy's name and its title the Anchore comment.
        imported = any(origin(rule) for rule in policy.get("rules", {}).values())
        name, comment = ((policy_id, policy.get("title") or "") if imported
                         else (policy.get("title") or policy_id, policy.get("description") or ""))
        policies.append({"id": policy_id, "name": name, "comment": comment, "version": "1_0", "rules": rules})
    mappings = [{"id": m["id"], "name": m["id"], "registry": "*", "repository": "*", "image": {"type": "tag", "value": "*"},
                 "policy_ids": m.get("policies", []), "whitelist_ids": m.get("allowlists", [])}
                for m in config.get("mappings") or []]
    return {"id": run.policy.revision, "name": "regate", "version": "1_0", "comment": f"regate revision {run.policy.revision}",
            "policies": policies, "mappings": mappings, "whitelists": [], "whitelisted_images": [], "blacklisted_images": []}


def evaluation(run: Run, result: Result, policy: dict, now: datetime) -> dict:
    decision = result.decision
    image = decision.get("image") or {}
    image_id = (image.get("id") or "").removeprefix("sha256:")
    tag = repo_tag(image)
    action = decision["final_action"].lower()
    status = "fail" if action == "stop" else "pass"
    table = {"header": HEADER, "rows": _rows(run, result, image_id, tag), "final_action": action}
    table["row_count"] = len(table["rows"])
    mapping = next((m for m in policy["mappings"] if m["id"] == decision.get("mapping")), False)
    rule = decision.get("image_rule") or {}
    epoch = int(now.timestamp())
    return {
        "detail": {
            "policy": policy,
            "result": {
                "bundle": policy,
                "created_at": epoch,
                "last_modified": epoch,
                "evaluation_problems": [{"severity": "error", "problem_type": "EvaluationError", "details": error}
                                        for error in decision["errors"]],
                "final_action": action,
                "final_action_reason": _REASONS.get(decision["final_reason"], decision["final_reason"]),
                "image_digest": image.get("digest", ""),
                "image_id": image_id,
                "matched_mapping_rule": mapping,
                "matched_whitelisted_images_rule": rule if rule.get("verdict") == "allow" else False,
                "matched_blacklisted_images_rule": rule if rule.get("verdict") == "deny" else False,
                "result": {image_id: {"result": table}, "policy_data": [], "policy_name": "",
                           "whitelist_data": [], "whitelist_names": []},
                "status": status,
                "tag": tag,
                "user_id": "regate",
            },
        },
        "last_evaluation": now.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "policyId": policy["id"],
        "status": status,
    }


@cache
def _evaluated_at() -> datetime:
    """When this run evaluated: one time for every image and every rendering of the run."""
    return datetime.now(timezone.utc).replace(microsecond=0)


def document(run: Run, now: datetime | None = None) -> list[dict]:
    now = now or _evaluated_at()
    policy = bundle(run)
    out = []
    for result in run.results:
        image = result.decision.get("image") or {}
        key = image.get("digest") or image.get("id") or result.subject
        out.append({key: {repo_tag(image): [evaluation(run, result, policy, now)]}})
    return out


def render(run: Run) -> str:
    return json.dumps(document(run), indent=4, ensure_ascii=False) + "\n"
