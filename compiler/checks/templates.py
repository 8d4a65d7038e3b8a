"""Rule templates: `rule id action from template(args)` becomes an ordinary rule.

Expansion substitutes each parameter, wherever the template body names it,
with the argument expression; the rule's own clauses override the template's.
"""

from __future__ import annotations

import dataclasses

from .. import ast
from ..diagnostics import Diagnostic, error
from ..model import PolicySet


def expand_templates(policy_set: PolicySet) -> tuple[PolicySet, list[Diagnostic]]:
    problems: list[Diagnostic] = []
    policies = []
    for policy in policy_set.policies:
        rules = []
        for rule in policy.rules:
            template = policy_set.templates.get(rule.template.name) if rule.template else None
            if rule.template is None:
                rules.append(rule)
                continue
            if template is None:
                continue  # reported by the names pass
            expanded = _expand(rule, template, problems)
            if expanded is not None:
                rules.append(expanded)
        policies.append(dataclasses.replace(policy, rules=tuple(rules)))
    return dataclasses.replace(policy_set, policies=tuple(policies)), problems


def _expand(rule: ast.Rule, template: ast.Template, problems: list[Diagnostic]) -> ast.Rule | None:
    use = rule.template
    if len(use.args) != len(template.params):
        expected = ", ".join(p.value for p in template.params) or "no arguments"
        problems.append(error("E209", use.span,
                              f'template "{template.name}" takes {len(template.params)} argument(s), '
                              f"{len(use.args)} given", f"its parameters: {expected}"))
        return None
    arguments = {p.value: arg for p, arg in zip(template.params, use.args)}
    failed = False

    def substitute(expr):
        nonlocal failed
        if not isinstance(expr, ast.Ref) or expr.root not in arguments:
            return expr
        argument = arguments[expr.root]
        if not expr.segments:
            return argument
        if isinstance(argument, ast.Ref):
            return dataclasses.replace(argument, segments=argument.segments + expr.segments, span=expr.span)
        problems.append(error("E209", expr.span,
                              f'parameter "{expr.root}" is given a constant here, which has no fields',
                              f"the argument is at {argument.span}"))
        failed = True
        return expr

    body = ast.map_exprs(template.body, substitute)
    if failed:
        return None
    body = dataclasses.replace(body, meta=rule.body.meta.merged_over(body.meta))
    return dataclasses.replace(rule, body=body)
