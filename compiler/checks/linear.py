"""Evaluation cost: generated Rego must stay linear in the size of the input.

A rule that iterates over one input collection may not, for each element,
scan another input collection (`count`, `any`, `all` over it): that is a
nested loop, quadratic in the input. Lists and parameters are fine (they
become sets), and so are collections inside the element (`p.licenses`).
"""

from __future__ import annotations

from .. import ast
from ..diagnostics import Diagnostic, error
from ..model import PolicySet
from ..types import roots


def check_linear(policy_set: PolicySet) -> tuple[PolicySet, list[Diagnostic]]:
    problems: list[Diagnostic] = []
    for policy in policy_set.policies:
        for rule in policy.rules:
            body = rule.body
            if body.when is not None:
                _scan(body.when, bound=False, problems=problems)
            bound = body.binding is not None
            for part in (body.where, *(_interpolations(body.message))):
                if part is not None:
                    _scan(part, bound=bound, problems=problems)
    # An exception's condition runs once per finding: per element only for rules with a loop.
    exceptions = [(a, [r for r in p.rules if r.id == a.rule]) for p in policy_set.policies for a in p.allows] + \
                 [(a, [r for _, r in policy_set.rules_named(a.rule)]) for l in policy_set.allowlists for a in l.allows]
    for allow, rules in exceptions:
        if allow.where is not None:
            _scan(allow.where, bound=any(r.body.binding is not None for r in rules), problems=problems)
    return policy_set, problems


def _interpolations(message: ast.Message | None):
    if message is None:
        return ()
    return tuple(p.expr for p in message.parts if isinstance(p, ast.Interpolation))


def _scan(expr: ast.Expr, bound: bool, problems: list[Diagnostic]) -> None:
    """Report quantifiers over input collections reached while a loop variable is bound."""
    if isinstance(expr, ast.Call) and expr.binding is not None:
        collection = expr.binding.collection
        if bound and collection.root in roots():
            problems.append(error(
                "E401", collection.span,
                f"{expr.name}() over {collection.dotted} runs once per element of the rule's loop: "
                "quadratic in the size of the input",
                "compute it once in a rule without `for` (using `when`), or compare against a named list"))
        _scan(expr.where, bound=True, problems=problems)
        return
    for child in _children(expr):
        _scan(child, bound, problems)


def _children(expr: ast.Expr):
    if isinstance(expr, (ast.And, ast.Or)):
        return expr.items
    if isinstance(expr, ast.Not):
        return (expr.operand,)
    if isinstance(expr, ast.Compare):
        return (expr.left, expr.right)
    if isinstance(expr, ast.Call):
        return expr.args
    if isinstance(expr, ast.Ref):
        return tuple(s.key for s in expr.segments if s.computed)
    return ()
