"""What regate accepts as a decision, and what a decision means for the build.

The shape is the contract of docs/decision.md. Anything else an engine hands
back (an undefined result, a missing field, an unknown action) is an engine
error: a result regate cannot read is never a pass.
"""

from __future__ import annotations

from typing import Any, Iterable

from ..errors import EngineError
from .actions import ACTIONS, rank, worst
from .consistency import disagreements
from .shapes import kind_of

QUERY = "data.regate.decision.main"
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


_FIELDS: dict[str, type | tuple[type, ...]] = {
    "version": int,
    "final_action": str,
    "final_reason": str,
    "image": dict,
    "image_rule": (dict, type(None)),
    "mapping": (str, type(None)),
    "policies": list,
    "findings": list,
    "errors": list,
}
_FINDING_FIELDS: dict[str, type | tuple[type, ...]] = {
    "policy": str,
    "rule": str,
    "action": str,
    "effective_action": str,
    "message": str,
    # An index for findings over a list collection (`changes`), else a string.
    "key": (str, int),
    "exception": (dict, type(None)),
    "expired_exceptions": list,
    "source": str,
}


def _check_fields(value: Any, fields: dict, where: str) -> None:
    if not isinstance(value, dict):
        raise EngineError(f"{where} is {kind_of(value)}, not an object")
    for name, kind in fields.items():
        if name not in value:
            raise EngineError(f"{where} has no `{name}`")
        if not isinstance(value[name], kind) or isinstance(value[name], bool) and kind is int:
            raise EngineError(f"{where}.{name} is {kind_of(value[name])}")


def validate(decision: Any, origin: str) -> dict:
    """`decision` if it has the contract's shape and agrees with itself (`consistency`);
    EngineError naming `origin` and what is wrong otherwise."""
    if decision is None:
        raise EngineError(f"{origin}: {QUERY} is undefined; is this a regate bundle?")
    try:
        _check_fields(decision, _FIELDS, "the decision")
        if decision["version"] != 1:
            raise EngineError(f"the decision has version {decision['version']}; this regate reads version 1")
        if decision["final_action"] not in ACTIONS:
            raise EngineError(f"the decision's final_action is {decision['final_action']!r}")
        for index, finding in enumerate(decision["findings"]):
            _check_fields(finding, _FINDING_FIELDS, f"findings[{index}]")
            for field in ("action", "effective_action"):
                if finding[field] not in ACTIONS:
                    raise EngineError(f"findings[{index}].{field} is {finding[field]!r}")
        for index, policy in enumerate(decision["policies"]):
            _check_fields(policy, {"id": str, "action": str}, f"policies[{index}]")
        if decision["errors"] and decision["final_action"] != "STOP":
            raise EngineError("the decision lists errors but is not STOP")
    except EngineError as exc:
        raise EngineError(f"{origin}: not a regate decision: {exc}") from None
    if problems := disagreements(decision):
        raise EngineError(f"{origin}: the decision contradicts itself: {'; '.join(problems)}")
    return decision

