"""A decision must agree with itself before regate acts on it.

The shape check (`decision.validate`) proves a decision has the contract's
fields; this module proves its parts tell one story (docs/decision.md): each
finding's effective action follows from its exception, each policy's action
and counts from its findings, the final action from the policies or from what
decided instead of them (an image allow/deny entry, no matching mapping, an
invalid input). An engine that answers `GO` next to a STOP finding is broken
or tampered with; regate reports the contradiction instead of the verdict.

Each check is one function from a shape-valid decision to the disagreements
it finds; a new part of the contract is a new function in `CHECKS`.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import Callable, Iterator

from .actions import ACTIONS, worst

Check = Callable[[dict], Iterator[str]]


@dataclass(frozen=True)
class Reason:
    """What a `final_reason` implies about the rest of the decision."""

    # The final action it means; None: the worst policy action (policy_evaluation), or the
    # policy set's declared choice, which the decision does not carry (no_mapping).
    final: str | None
    # Whether `errors` must be non-empty (True) or empty (False); None: either.
    errors: bool | None
    # The verdict of the image rule that decided, if one did.
    verdict: str | None = None
    # Whether an image allow/deny entry would have decided first, so `image_rule` must be null.
    no_image_rule: bool = False


REASONS = {
    "policy_evaluation": Reason(None, errors=False, no_image_rule=True),
    "invalid_input": Reason("STOP", errors=True),
    # Data the input `require`s is missing (with the data-availability section of the contract).
    "data_unavailable": Reason("STOP", errors=True),
    "denylisted": Reason("STOP", errors=False, verdict="deny"),
    "allowlisted": Reason("GO", errors=False, verdict="allow"),
    # An image no mapping matches is an error unless the policy set declares what it gets.
    "no_mapping": Reason(None, errors=None, no_image_rule=True),
}


def disagreements(decision: dict) -> list[str]:
    """Every way the decision contradicts itself; empty when it is consistent."""
    return [problem for check in CHECKS for problem in check(decision)]


def _known_reason(decision: dict) -> Iterator[str]:
    if decision["final_reason"] not in REASONS:
        yield f"final_reason is {decision['final_reason']!r}, not one of {', '.join(REASONS)}"


def _effective_actions(decision: dict) -> Iterator[str]:
    for index, finding in enumerate(decision["findings"]):
        expected = "GO" if finding["exception"] is not None else finding["action"]
        if finding["effective_action"] != expected:
            why = "an exception applies" if finding["exception"] is not None else "no exception applies"
            yield (f"findings[{index}] ({_name(finding)}) has effective_action {finding['effective_action']} "
                   f"but {why} to its {finding['action']}")


def _unique_policies(decision: dict) -> Iterator[str]:
    for policy_id, times in Counter(p["id"] for p in decision["policies"]).items():
        if times > 1:
            yield f"policy {policy_id!r} is listed {times} times"


def _findings_of_evaluated_policies(decision: dict) -> Iterator[str]:
    evaluated = {p["id"] for p in decision["policies"]}
    for index, finding in enumerate(decision["findings"]):
        if finding["policy"] not in evaluated:
            yield f"findings[{index}] ({_name(finding)}) belongs to policy {finding['policy']!r}, which is not evaluated"


def _policy_actions(decision: dict) -> Iterator[str]:
    for index, policy in enumerate(decision["policies"]):
        own = [f["effective_action"] for f in decision["findings"] if f["policy"] == policy["id"]]
        if policy["action"] != worst(own):
            yield (f"policies[{index}] ({policy['id']}) has action {policy['action']}, but the worst effective "
                   f"action of its {_count(len(own), 'finding')} is {worst(own)}")


def _policy_counts(decision: dict) -> Iterator[str]:
    for index, policy in enumerate(decision["policies"]):
        if "findings" not in policy:
            continue
        own = Counter(f["effective_action"] for f in decision["findings"] if f["policy"] == policy["id"])
        expected = {action.lower(): own[action] for action in reversed(ACTIONS)}
        if policy["findings"] != expected:
            yield f"policies[{index}] ({policy['id']}) counts findings as {policy['findings']}, but they are {expected}"


def _final_action(decision: dict) -> Iterator[str]:
    reason, final = decision["final_reason"], decision["final_action"]
    if reason == "policy_evaluation":
        expected = worst(p["action"] for p in decision["policies"])
        if final != expected:
            yield f"final_action is {final}, but the worst action of the evaluated policies is {expected}"
    elif reason in REASONS and REASONS[reason].final not in (None, final):
        yield f"final_action is {final}, but final_reason {reason} means {REASONS[reason].final}"


def _only_policy_evaluation_evaluates(decision: dict) -> Iterator[str]:
    reason = decision["final_reason"]
    if reason in REASONS and reason != "policy_evaluation" and (decision["policies"] or decision["findings"]):
        yield (f"final_reason {reason} means no policy was evaluated, but the decision lists "
               f"{_count(len(decision['policies']), 'policy', 'policies')} and {_count(len(decision['findings']), 'finding')}")


def _image_rule(decision: dict) -> Iterator[str]:
    reason, rule = decision["final_reason"], decision["image_rule"]
    if reason not in REASONS:
        return
    verdict = rule.get("verdict") if isinstance(rule, dict) else None
    if REASONS[reason].no_image_rule and rule is not None:
        yield f"final_reason is {reason}, but image_rule {verdict!r} matched (an image allow/deny entry decides first)"
    needed = REASONS[reason].verdict
    if needed is not None and verdict != needed:
        yield f"final_reason is {reason}, but image_rule has verdict {verdict!r} (expected {needed!r})"


def _mapping(decision: dict) -> Iterator[str]:
    if decision["final_reason"] == "no_mapping" and decision["mapping"] is not None:
        yield f"final_reason is no_mapping, but mapping {decision['mapping']!r} matched"


def _errors(decision: dict) -> Iterator[str]:
    reason = decision["final_reason"]
    required = REASONS[reason].errors if reason in REASONS else None
    if required is not None and required != bool(decision["errors"]):
        yield f"final_reason is {reason}, but the decision lists {_count(len(decision['errors']), 'error')}"


def _count(number: int, one: str, many: str | None = None) -> str:
    return f"{number} {one if number == 1 else many or one + 's'}"


def _name(finding: dict) -> str:
    return f"{finding['policy']}/{finding['rule']} {finding['key']}"


CHECKS: tuple[Check, ...] = (
    _known_reason,
    _effective_actions,
    _unique_policies,
    _findings_of_evaluated_policies,
    _policy_actions,
    _policy_counts,
    _final_action,
    _only_policy_evaluation_evaluates,
    _image_rule,
    _mapping,
    _errors,
)
