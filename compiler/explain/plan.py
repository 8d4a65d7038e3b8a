"""From a STOP to a proven plan: candidates per finding, one combined plan,
its JSON Patch, and the patched document evaluated by the same engine.

Minimal, in this sense: every entry a blocking finding names changes at most
once (one change per package, file, port, ...; removing a package makes any
upgrade of it unnecessary), configuration changes are kept only when the proof
shows a finding needs them, and each upgrade goes to the lowest version that
clears every vulnerability on the package that names a fix (fewest changes,
then smallest version jumps). The plan is not a search over every possible
document: a finding no listed kind of change clears is reported with the
reason, never guessed at.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Iterable

from ..engine import Engine
from ..engine.actions import rank
from ..engine.decision import EXIT_PASS, FAIL_ON, exit_code
from ..engine.policy import PolicyInfo
from ..opa import Opa
from . import candidates as cand
from .changes import Change, apply, operations, vulnerabilities_by_package
from .exceptions import suggest
from .layers import group
from .versions import Upgrades

# The keyed collections of a document, which rules about the image config alone never read.
_COLLECTIONS = ("packages", "vulnerabilities", "files", "secrets", "users", "misconfigurations", "malware")
_NO_LAYERS = {"layers": [], "rebuild_base": None}
_NOT_EVALUATED = {
    "denylisted": "the image is denylisted by name: no change to its contents makes it pass",
    "no_mapping": "no mapping matches the image: no change to its contents selects a policy",
    "invalid_input": "the input document could not be evaluated",
    "data_unavailable": "data the check requires (--require) is missing from the input",
}


@dataclass(frozen=True)
class Context:
    engine: Engine
    opa: Opa
    policy: PolicyInfo
    fail_on: str
    timeout: float


def blocking(decision: dict, fail_on: str) -> list[dict]:
    """The findings that fail the check as `--fail-on` sets it."""
    return [f for f in decision["findings"] if rank(f["effective_action"]) >= rank(FAIL_ON[fail_on])]


def explain(context: Context, document: dict, decision: dict) -> dict:
    """The explanation of one image's decision (docs/explain.md describes its shape)."""
    findings = blocking(decision, context.fail_on)
    if decision["final_reason"] in _NOT_EVALUATED:
        why = _NOT_EVALUATED[decision["final_reason"]]
        return _explanation([], [], _NO_LAYERS, decision, _proof(decision, [], why, context.fail_on), [], context,
                            document)
    if not findings:
        return _explanation([], [], _NO_LAYERS, decision, _proof(decision, [], "", context.fail_on), [], context,
                            document)
    reads_of: Callable[[dict], list[str]] = \
        lambda f: context.policy.rule(f["policy"], f["rule"]).get("reads", {}).get("data", [None])
    found = cand.collect(document, findings, reads_of)
    trial = cand.config_changes(document, tuple(found.image_wide)) if found.image_wide else []
    config_only = all(reads_of(f) == ["image_config"] for f in findings if cand.finding_id(f) in found.image_wide)
    upgrades = Upgrades(context.opa, cand.upgrade_requests(document, _upgradable(found)), context.timeout)
    try:
        # Trials of rules that read only the image config run on the probe while OPA chooses the
        # upgrades: upgrades never touch the image config, so these trials do not wait for them.
        kept = _needed(context, _probe(document), _image_changes(found.changes.values()), trial,
                       found.image_wide) if config_only else None
        changes = _with_upgrades(document, found, upgrades.result())
    finally:
        upgrades.cancel()
    plan = sorted(changes.values(), key=lambda c: c.order)
    if kept is None:
        kept = _needed(context, document, plan, trial, found.image_wide)
    plan = sorted(plan + kept, key=lambda c: c.order)
    patched, ops = _apply(document, plan)
    patched_decision = context.engine.evaluate(patched)
    remaining = [dict(_brief(f), reason=_reason(f, found, plan, context))
                 for f in blocking(patched_decision, context.fail_on)]
    return _explanation(_candidate_list(findings, plan, found), plan, group(document, plan), decision,
                        _proof(patched_decision, remaining, "", context.fail_on), ops, context, patched)


def _upgradable(found: cand.Candidates) -> list[str]:
    """The packages a vulnerability finding asks to upgrade and no change removes."""
    removed = {target for kind, target in found.changes if kind == "remove_package"}
    return sorted(set(found.upgrade_findings) - removed)


def _with_upgrades(document: dict, found: cand.Candidates, upgrades: dict[str, dict]) -> dict[tuple[str, str], Change]:
    """The entry changes plus one upgrade per package a vulnerability finding asks to upgrade, unless
    the package is removed anyway; findings no fix version above the installed one clears stay unresolved."""
    changes = dict(found.changes)
    removed = {target for kind, target in changes if kind == "remove_package"}
    for package, chosen in sorted(upgrades.items()):
        clears = tuple(sorted(f for f in found.upgrade_findings[package] if f.split(":", 1)[1] in chosen["cleared"]))
        entry = document["packages"][package]
        changes[("upgrade", package)] = Change(
            "upgrade", package, f"upgrade {entry.get('name', package)} {entry.get('version')} → {chosen['target']}",
            before=entry.get("version"), after=chosen["target"], clears=clears,
            detail={"cleared_vulnerabilities": chosen["cleared"]})
    for package in sorted(set(found.upgrade_findings) & removed):
        # Removing the package takes its vulnerabilities with it.
        removal = changes[("remove_package", package)]
        changes[("remove_package", package)] = Change(
            removal.kind, removal.target, removal.summary, removal.before, removal.after,
            tuple(sorted(set(removal.clears) | set(found.upgrade_findings[package]))), removal.detail)
    cleared = {fid for change in changes.values() for fid in change.clears}
    for package in _upgradable(found):
        for fid in found.upgrade_findings[package]:
            if fid not in cleared:
                found.unresolved[fid] = f"no fix version above the installed {document['packages'][package].get('version')}"
    return changes


def _apply(document: dict, plan: list[Change]) -> tuple[dict, list[dict]]:
    """The patched document and the patch: each change's operations are made against the document
    as the changes before it left it (a file removed with its secrets is not removed twice). The
    patched document shares what the plan leaves unchanged with `document`: neither is changed later."""
    working = dict(document)
    copied = {id(working)}
    # Changes to packages never touch another package's vulnerabilities, so one index serves them all.
    affecting = vulnerabilities_by_package(working)
    ops: list[dict] = []
    for change in plan:
        step = operations(change, working, affecting)
        apply(working, step, copied)
        ops += step
    return working, ops


def _needed(context: Context, document: dict, plan: list[Change], trial: list[Change],
            image_wide: list[str]) -> list[Change]:
    """Evaluate with every configuration change that applies, then drop each one whose absence leaves
    the image-wide findings as they were; each kept one clears the findings its absence brings back."""
    if not trial:
        return []

    def still(changes: list[Change]) -> set[str]:
        decision = context.engine.evaluate(_apply(document, sorted(changes, key=lambda c: c.order))[0])
        return {cand.finding_id(f) for f in blocking(decision, context.fail_on)} & set(image_wide)

    kept = list(trial)
    remaining = still(plan + kept)
    for change in trial:
        without = [c for c in kept if c is not change]
        brought_back = still(plan + without) - remaining
        if not brought_back:
            kept = without
        else:
            kept = [Change(c.kind, c.target, c.summary, c.before, c.after, tuple(sorted(brought_back)), c.detail)
                    if c is change else c for c in kept]
    return kept


def _probe(document: dict) -> dict:
    """The document without its collections: enough to decide rules that read only the image config,
    at a fraction of the cost of evaluating the whole document."""
    return dict(document, **{c: {} for c in _COLLECTIONS if isinstance(document.get(c), dict)})


def _image_changes(changes: Iterable[Change]) -> list[Change]:
    """The changes to the image config, in plan order."""
    return sorted((c for c in changes if c.kind in ("set_user", "drop_port", "add_healthcheck") or
                   (c.kind == "remove_entry" and c.detail["collection"].startswith("image."))), key=lambda c: c.order)


def _reason(finding: dict, found: cand.Candidates, plan: list[Change], context: Context) -> str:
    fid = cand.finding_id(finding)
    if fid in found.unresolved:
        return found.unresolved[fid]
    reads = context.policy.rule(finding["policy"], finding["rule"]).get("reads", {}).get("data", [])
    if not reads:
        return cand.READS_NOTHING
    aimed = _aimed(plan).get(fid)
    if aimed:
        return f"still found after {'; '.join(aimed)}: the rule also reads what the plan does not change ({', '.join(reads)})"
    if finding["key"] == "image":
        return (f"the rule is about the image as a whole and no planned configuration change (USER, HEALTHCHECK) "
                f"clears it; it reads {', '.join(reads)}")
    if "+" in finding["key"]:
        vuln_id = finding["key"].split("+", 1)[0]
        origin = next((f for f in found.unresolved if f.startswith(f"{finding['policy']}/{finding['rule']}:{vuln_id}+")),
                      None)
        if origin:
            return found.unresolved[origin]
    return f"appears after the plan's changes; the rule reads {', '.join(reads)}"


def _brief(finding: dict) -> dict:
    return {key: finding.get(key) for key in ("policy", "rule", "key", "action", "message", "source")}


def _candidate_list(findings: list[dict], plan: list[Change], found: cand.Candidates) -> list[dict]:
    aimed = _aimed(plan)
    # Messages and sources are the decision's: a finding is named here by its id only.
    return [{"id": cand.finding_id(f), "changes": aimed.get(cand.finding_id(f), []),
             "alternatives": found.alternatives.get(cand.finding_id(f), []),
             "unresolved": found.unresolved.get(cand.finding_id(f))} for f in findings]


def _aimed(plan: list[Change]) -> dict[str, list[str]]:
    """Finding id -> summaries of the changes meant to clear it."""
    out: dict[str, list[str]] = {}
    for change in plan:
        for fid in change.clears:
            out.setdefault(fid, []).append(change.summary)
    return out


def _proof(decision: dict, remaining: list[dict], why: str, fail_on: str) -> dict:
    """GO when the patched document passes the gate as `--fail-on` sets it."""
    passes = exit_code([decision], fail_on) == EXIT_PASS
    return {"final_action": decision["final_action"], "final_reason": decision["final_reason"],
            "go": not remaining and not why and passes, "remaining": remaining,
            "not_explainable": why or None}


def _explanation(per_finding, plan, groups, decision, proof, ops, context, patched: dict) -> dict:
    return {"version": 1, "fail_on": context.fail_on.upper(), "before": decision["final_action"],
            "findings": per_finding, "plan": [c.as_json() for c in plan], "layers": groups["layers"],
            "rebuild_base": groups["rebuild_base"], "patch": ops, "proof": proof,
            "exceptions": suggest(proof["remaining"], context.policy, patched),
            "dependents": "not known: the input document keeps no package relationships, so removing a package "
                          "lists only the package itself"}
