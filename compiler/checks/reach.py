"""Dead policy: rules that can never match, mappings never reached, policies and
allowlists no mapping selects, exceptions that have expired."""

from __future__ import annotations

from datetime import timezone

from .. import ast
from ..diagnostics import Diagnostic, warning
from ..model import PolicySet
from ..types import SEVERITY_RANK, Type
from .exprs import Scope, Typer, global_scope, parse_date
from .rules import rule_scope

CATCH_ALL = {"*", "**"}
_FLIP = {"<": ">", "<=": ">=", ">": "<", ">=": "<=", "==": "==", "!=": "!="}


def check_reachability(policy_set: PolicySet) -> tuple[PolicySet, list[Diagnostic]]:
    problems: list[Diagnostic] = []
    scope = global_scope(policy_set)
    typer = Typer(None)
    for policy in policy_set.policies:
        for rule in policy.rules:
            inner = rule_scope(rule, typer, scope) or scope
            for condition, where in ((rule.body.when, scope), (rule.body.where, inner)):
                reason = _never(condition, typer, where) if condition is not None else None
                if reason:
                    problems.append(warning("W502", reason[0], f'rule "{rule.id}" can never match: {reason[1]}'))
    _mappings(policy_set, problems)
    _expired(policy_set, problems)
    return policy_set, problems


def _never(expr: ast.Expr, typer: Typer, scope: Scope) -> tuple | None:
    """(span, why) when `expr` is false for every input, else None."""
    if isinstance(expr, ast.Literal) and expr.value is False:
        return expr.span, "the condition is false"
    if isinstance(expr, ast.And):
        for item in expr.items:
            found = _never(item, typer, scope)
            if found:
                return found
        return _contradiction(expr)
    if isinstance(expr, ast.Or):
        reasons = [_never(i, typer, scope) for i in expr.items]
        return reasons[0] if all(reasons) else None
    if isinstance(expr, ast.Compare) and expr.op in _FLIP:
        return _impossible_comparison(expr, typer, scope)
    return None


def _impossible_comparison(cmp: ast.Compare, typer: Typer, scope: Scope) -> tuple | None:
    left, right = cmp.left, cmp.right
    op = cmp.op
    if isinstance(left, ast.Literal) and not isinstance(right, ast.Literal):
        left, right, op = right, left, _FLIP[op]
    if isinstance(left, ast.Literal) and isinstance(right, ast.Literal):
        if left.kind == right.kind and left.kind in ("number", "string"):
            if not _holds(op, left.value, right.value):
                return cmp.span, "both sides are constants and the comparison is false"
        return None
    left_type = typer.type(left, scope)
    if left_type is None:
        return None
    bound = _constant_rank(right, left_type)
    if bound is None:
        return None
    low, high = _range_of(left_type)
    if low is None and high is None:
        return None
    if (op == ">" and high is not None and bound >= high) or (op == ">=" and high is not None and bound > high) \
            or (op == "<" and low is not None and bound <= low) or (op == "<=" and low is not None and bound < low) \
            or (op == "==" and ((high is not None and bound > high) or (low is not None and bound < low))):
        return cmp.span, f"{left.dotted if isinstance(left, ast.Ref) else 'the value'} is never {op} that"
    return None


def _constant_rank(expr: ast.Expr, against: Type) -> float | None:
    if against.kind == "severity":
        name = expr.value if isinstance(expr, ast.Literal) else expr.root if (
            isinstance(expr, ast.Ref) and not expr.segments) else None
        return SEVERITY_RANK.get(name)
    if against.kind == "number" and isinstance(expr, ast.Literal) and expr.kind == "number":
        return expr.value
    return None


def _range_of(t: Type) -> tuple:
    if t.kind == "severity":
        return 0, len(SEVERITY_RANK) - 1
    if t.kind == "number":
        return t.minimum, t.maximum
    return None, None


def _holds(op: str, a, b) -> bool:
    return {"==": a == b, "!=": a != b, "<": a < b, "<=": a <= b, ">": a > b, ">=": a >= b}[op]


def _contradiction(expr: ast.And) -> tuple | None:
    """`x == "a" and x == "b"` can never hold."""
    required: dict[str, ast.Compare] = {}
    for item in expr.items:
        if isinstance(item, ast.Compare) and item.op == "==" and isinstance(item.left, ast.Ref) \
                and isinstance(item.right, ast.Literal) and not any(s.computed for s in item.left.segments):
            earlier = required.get(item.left.dotted)
            if earlier is not None and earlier.right.value != item.right.value:
                return item.span, f"{item.left.dotted} cannot equal both {earlier.right.value!r} and {item.right.value!r}"
            required[item.left.dotted] = item
    return None


def _mappings(policy_set: PolicySet, problems: list[Diagnostic]) -> None:
    if not policy_set.mappings:
        for unmatched in policy_set.unmatched:
            problems.append(warning("W506", unmatched.span, f'"unmatched {unmatched.action}" has no effect: '
                                    "without mappings every policy applies to every image"))
        return
    catch_all = None
    for mapping in policy_set.mappings:
        if catch_all is not None:
            problems.append(warning("W503", mapping.id_span,
                                    f'mapping "{mapping.id}" is never used: mapping "{catch_all.id}" '
                                    "before it matches every image", "first match wins; move it up"))
        elif any(n.value in CATCH_ALL for n in mapping.images):
            catch_all = mapping
    mapped = {n.value for m in policy_set.mappings for n in m.policies}
    for policy in policy_set.policies:
        if policy.id not in mapped:
            problems.append(warning("W504", policy.id_span, f'no mapping selects policy "{policy.id}"',
                                    "add it to a mapping's policies, or it is never evaluated"))
    used = {n.value for m in policy_set.mappings for n in m.allowlists}
    for allowlist in policy_set.allowlists:
        if allowlist.id not in used:
            problems.append(warning("W505", allowlist.id_span, f'no mapping uses allowlist "{allowlist.id}"',
                                    "add it to a mapping's allowlists, or it never applies"))


def _expired(policy_set: PolicySet, problems: list[Diagnostic]) -> None:
    exceptions = [a for p in policy_set.policies for a in p.allows] + \
                 [a for l in policy_set.allowlists for a in l.allows]
    for allow in exceptions:
        if allow.until is None:
            continue
        until = parse_date(allow.until)
        if until is None:
            continue
        day = until.astimezone(timezone.utc).date() if until.tzinfo else until.date()
        if day < policy_set.today:
            problems.append(warning("W501", allow.until_span,
                                    f"this exception expired on {allow.until} and no longer applies",
                                    "renew it with a later date or remove it"))
