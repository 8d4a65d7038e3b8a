"""What regate accepts as a decision, and what a decision means for the build.

The shape is the contract of docs/decision.md. Anything else an engine hands
back (an undefined result, a missing field, an unknown action) is an engine
error: a result regate cannot read is never a pass.
"""

from __future__ import annotations

from typing import Any, Iterable

from ..errors import EngineError
from ..opa import QUERY
from .actions import ACTIONS, rank, worst
from .consistency import disagreements
from .shapes import kind_of

FAIL_ON = {"stop": "STOP", "warn": "WARN"}

EXIT_PASS, EXIT_FAIL, EXIT_ERROR = 0, 1, 2


def worst_first(findings: Iterable[dict]) -> list[dict]:
    """Findings grouped by effective action, STOP first; the decision's order within a group."""
    return sorted(findings, key=lambda f: -rank(f["effective_action"]))


def exit_code(decisions: Iterable[dict], fail_on: str = "stop") -> int:
    """2 when any decision could not be evaluated, 1 when any reaches `fail_on`, else 0."""
    decisions = list(decisions)
    if any(d["errors"] for d in decisions):
        return EXIT_ERROR
    threshold = FAIL_ON[fail_on]
    verdict = worst(d["final_action"] for d in decisions)
    return EXIT_FAIL if rank(verdict) >= rank(threshold) else EXIT_PASS


# Each field's JSON types, as the decoded decision holds them: exact types, so `true` is no
# number, and a finding is checked with a lookup per field (a 10,000-package decision has
# thousands of findings).
_NONE = type(None)
_FIELDS: dict[str, tuple[type, ...]] = {
    "version": (int,),
    "final_action": (str,),
    "final_reason": (str,),
    "image": (dict,),
    "image_rule": (dict, _NONE),
    "mapping": (str, _NONE),
    "policies": (list,),
    "findings": (list,),
    "errors": (list,),
}
_FINDING_FIELDS: dict[str, tuple[type, ...]] = {
    "policy": (str,),
    "rule": (str,),
    "action": (str,),
    "effective_action": (str,),
    "message": (str,),
    # An index for findings over a list collection (`changes`), else a string.
    "key": (str, int),
    "exception": (dict, _NONE),
    "expired_exceptions": (list,),
    "source": (str,),
}
_POLICY_FIELDS: dict[str, tuple[type, ...]] = {"id": (str,), "action": (str,)}


def _field_problem(value: Any, fields: dict[str, tuple[type, ...]]) -> str | None:
    """What is wrong with the fields of `value`, said after its name; None when nothing is."""
    if type(value) is not dict:
        return f" is {kind_of(value)}, not an object"
    for name, kinds in fields.items():
        if name not in value:
            return f" has no `{name}`"
        if type(value[name]) not in kinds:
            return f".{name} is {kind_of(value[name])}"
    return None


def validate(decision: Any, origin: str) -> dict:
    """`decision` if it has the contract's shape and agrees with itself (`consistency`);
    EngineError naming `origin` and what is wrong otherwise."""
    if decision is None:
        raise EngineError(f"{origin}: {QUERY} is undefined; is this a regate bundle?")
    try:
        if problem := _field_problem(decision, _FIELDS):
            raise EngineError(f"the decision{problem}")
        if decision["version"] != 1:
            raise EngineError(f"the decision has version {decision['version']}; this regate reads version 1")
        if decision["final_action"] not in ACTIONS:
            raise EngineError(f"the decision's final_action is {decision['final_action']!r}")
        for index, finding in enumerate(decision["findings"]):
            if problem := _field_problem(finding, _FINDING_FIELDS):
                raise EngineError(f"findings[{index}]{problem}")
            for field in ("action", "effective_action"):
                if finding[field] not in ACTIONS:
                    raise EngineError(f"findings[{index}].{field} is {finding[field]!r}")
        for index, policy in enumerate(decision["policies"]):
            if problem := _field_problem(policy, _POLICY_FIELDS):
                raise EngineError(f"policies[{index}]{problem}")
        if decision["errors"] and decision["final_action"] != "STOP":
            raise EngineError("the decision lists errors but is not STOP")
    except EngineError as exc:
        raise EngineError(f"{origin}: not a regate decision: {exc}") from None
    if problems := disagreements(decision):
        raise EngineError(f"{origin}: the decision contradicts itself: {'; '.join(problems)}")
    return decision

