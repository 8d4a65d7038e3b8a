"""Names: duplicates, references to undeclared policies, allowlists, rules and templates."""

from __future__ import annotations

from .. import ast
from ..diagnostics import Diagnostic, did_you_mean, error
from ..model import PolicySet, all_declarations
from ..types import SEVERITIES, roots

# Names the generated Rego or the language itself owns.
RESERVED = {
    "as", "contains", "data", "default", "else", "every", "false", "if", "import", "in", "input",
    "not", "null", "package", "some", "true", "with", "rules", "key", "hit", "position",
    "typed_message",
}
# Builtins the generated Rego calls by their bare names, operators included (`!=` is `neq`): a loop
# variable or a rule (a rule of the generated package shadows the builtin) must not take them.
REGO_NAMES = {"count", "sprintf", "regex", "glob", "object", "concat", "lower", "upper", "startswith",
              "endswith", "contains", "time", "array", "sort", "min", "max", "split", "trim", "every",
              "numbers", "strings", "semver", "json", "is_string", "is_number", "is_array", "is_object",
              "format_int", "sum", "bits", "floor", "eq", "equal", "neq", "lt", "lte", "gt", "gte", "plus",
              "minus", "mul", "div", "rem", "and", "or", "crypto"}
FUNCTIONS = {"count", "any", "all", "exists", "days_since", "lower", "upper", "startswith", "endswith", "contains",
             "bits_set", "octal", "new", "md5", "string"}


def check_names(policy_set: PolicySet) -> tuple[PolicySet, list[Diagnostic]]:
    problems: list[Diagnostic] = [d for m in policy_set.program.modules for d in m.problems]
    _duplicates_of_globals(policy_set, problems)
    _duplicates(problems, [(p.id, p.id_span) for p in policy_set.policies], 'duplicate policy "{}"')
    _duplicates(problems, [(a.id, a.id_span) for a in policy_set.allowlists], 'duplicate allowlist "{}"')
    _duplicates(problems, [(m.id, m.id_span) for m in policy_set.mappings], 'duplicate mapping "{}"')
    _duplicates(problems, [("unmatched", u.span) for u in policy_set.unmatched],
                'the policy set declares "{}" twice')
    for policy in policy_set.policies:
        _duplicates(problems, [(r.id, r.id_span) for r in policy.rules],
                    'duplicate rule "{}" in policy "%s"' % policy.id.replace("{", "{{").replace("}", "}}"))
        for rule in policy.rules:
            if rule.id in RESERVED or rule.id in REGO_NAMES:
                problems.append(error("E214", rule.id_span, f'"{rule.id}" is reserved and cannot name a rule'))
            if rule.template and rule.template.name not in policy_set.templates:
                problems.append(error("E208", rule.template.name_span, f'unknown template "{rule.template.name}"',
                                      did_you_mean(rule.template.name, set(policy_set.templates))))
        local = {r.id for r in policy.rules}
        for allow in policy.allows:
            if allow.rule not in local:
                problems.append(error("E205", allow.rule_span,
                                      f'policy "{policy.id}" has no rule "{allow.rule}"', did_you_mean(allow.rule, local)))
    every_rule = policy_set.rule_ids()
    for allowlist in policy_set.allowlists:
        for allow in allowlist.allows:
            if allow.rule not in every_rule:
                problems.append(error("E205", allow.rule_span, f'no policy has a rule "{allow.rule}"',
                                      did_you_mean(allow.rule, every_rule)))
    policy_ids = {p.id for p in policy_set.policies}
    allowlist_ids = {a.id for a in policy_set.allowlists}
    for mapping in policy_set.mappings:
        for name in mapping.policies:
            if name.value not in policy_ids:
                problems.append(error("E206", name.span, f'unknown policy "{name.value}"',
                                      did_you_mean(name.value, policy_ids)))
        for name in mapping.allowlists:
            if name.value not in allowlist_ids:
                problems.append(error("E207", name.span, f'unknown allowlist "{name.value}"',
                                      did_you_mean(name.value, allowlist_ids)))
        if not mapping.images:
            problems.append(error("E216", mapping.id_span, f'mapping "{mapping.id}" selects no images',
                                  'add images "pattern", ... (use "*" for every image)'))
        if not mapping.policies:
            problems.append(error("E216", mapping.id_span, f'mapping "{mapping.id}" names no policies',
                                  'add policies "name", ...'))
    return policy_set, problems


def _duplicates_of_globals(policy_set: PolicySet, problems: list[Diagnostic]) -> None:
    """Lists, params and templates share one namespace, apart from input roots and severities."""
    seen: dict[str, str] = {}
    for decl in all_declarations(policy_set):
        if not isinstance(decl, (ast.ListDecl, ast.ParamDecl, ast.Template)):
            continue
        kind = {ast.ListDecl: "list", ast.ParamDecl: "param", ast.Template: "template"}[type(decl)]
        name, span = decl.name, decl.name_span
        if name in seen:
            problems.append(error("E203", span, f'{kind} "{name}" is declared twice',
                                  f"the first declaration is at {seen[name]}"))
            continue
        if name in roots() or name in SEVERITIES or name in RESERVED or name in FUNCTIONS:
            what = ("an input document field" if name in roots() else "a severity" if name in SEVERITIES
                    else "a function" if name in FUNCTIONS else "reserved")
            problems.append(error("E214", span, f'"{name}" is {what} and cannot name a {kind}'))
        seen[name] = str(span)


def _duplicates(problems: list[Diagnostic], named: list[tuple[str, object]], message: str) -> None:
    first: dict[str, object] = {}
    for name, span in named:
        if name in first:
            problems.append(error("E201", span, message.format(name), f"the first one is at {first[name]}"))
        else:
            first[name] = span
