"""Rule structure and every expression of every rule, exception and image rule."""

from __future__ import annotations

from .. import ast
from ..diagnostics import Diagnostic, error
from ..model import PolicySet
from ..types import SEVERITIES
from .exprs import Scope, Typer, glob_problem, global_scope, parse_date


def check_rules(policy_set: PolicySet) -> tuple[PolicySet, list[Diagnostic]]:
    problems: list[Diagnostic] = []
    typer = Typer(problems)
    scope = global_scope(policy_set)
    for definition in policy_set.lists.values():
        _check_list(definition, problems)
    for policy in policy_set.policies:
        for rule in policy.rules:
            _check_rule(rule, typer, scope, problems)
        for allow in policy.allows:
            _check_allow(allow, policy_set, [r for r in policy.rules if r.id == allow.rule], typer, scope, problems)
    for allowlist in policy_set.allowlists:
        for allow in allowlist.allows:
            rules = [r for _, r in policy_set.rules_named(allow.rule)]
            _check_allow(allow, policy_set, rules, typer, scope, problems)
    for image_rule in policy_set.image_rules:
        _check_patterns(image_rule.patterns, problems)
    for mapping in policy_set.mappings:
        _check_patterns(mapping.images, problems)
    return policy_set, problems


def rule_scope(rule: ast.Rule, typer: Typer, scope: Scope) -> Scope | None:
    """The scope of a rule's conditions and message: its loop variable bound."""
    if rule.body.binding is None:
        return scope
    return typer.bind(rule.body.binding, scope)


def _check_rule(rule: ast.Rule, typer: Typer, scope: Scope, problems: list[Diagnostic]) -> None:
    body = rule.body
    if body.message is None:
        problems.append(error("E210", rule.id_span, f'rule "{rule.id}" has no message',
                              'add message "..." saying what was found'))
    if body.binding is None and body.when is None:
        problems.append(error("E211", rule.id_span, f'rule "{rule.id}" has no condition',
                              "add `for x in collection where ...` or `when ...`"))
    if body.meta.severity is not None and body.meta.severity not in SEVERITIES:
        problems.append(error("E307", body.meta.severity_span, f'"{body.meta.severity}" is not a severity',
                              f"severities: {', '.join(SEVERITIES)}"))
    if body.when is not None:
        typer.condition(body.when, scope)
    inner = rule_scope(rule, typer, scope)
    if inner is None:
        return
    if body.where is not None:
        typer.condition(body.where, inner)
    if body.message is not None:
        for part in body.message.parts:
            if isinstance(part, ast.Interpolation):
                typer.type(part.expr, inner)


def _check_allow(allow: ast.Allow, policy_set: PolicySet, rules: list[ast.Rule], typer: Typer, scope: Scope,
                 problems: list[Diagnostic]) -> None:
    if allow.until is not None and parse_date(allow.until) is None:
        problems.append(error("E306", allow.until_span, f"{allow.until} is not a valid date"))
    if allow.where is None:
        return
    variables = {r.body.binding.var for r in rules if r.body.binding is not None}
    if len(variables) > 1:
        problems.append(error("E215", allow.rule_span,
                              f'rules "{allow.rule}" name their loop variable differently '
                              f"({', '.join(sorted(variables))}); one exception cannot match them all",
                              "use the same variable name in every policy's rule"))
        return
    for rule in rules[:1]:
        inner = rule_scope(rule, Typer(None), scope)
        if inner is not None:
            typer.condition(allow.where, inner)


def _check_list(definition, problems: list[Diagnostic]) -> None:
    kinds = {type(v).__name__ for v in definition.values}
    if kinds - {"str", "int", "float"}:
        problems.append(error("E217", definition.decl.span, f"list {definition.decl.name} may hold only strings and numbers"))
    elif len(kinds - {"float"} | ({"int"} if "float" in kinds else set())) > 1:
        problems.append(error("E217", definition.decl.span, f"list {definition.decl.name} mixes strings and numbers"))


def _check_patterns(patterns: tuple[ast.Name, ...], problems: list[Diagnostic]) -> None:
    for pattern in patterns:
        problem = glob_problem(pattern.value)
        if problem:
            problems.append(error("E305", pattern.span, f"invalid image pattern: {problem}",
                                  "patterns use * (any characters) ? [abc] {a,b}"))
