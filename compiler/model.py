"""The policy set: every declaration of every module, by kind, with its symbols."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from . import ast
from .loader import Program
from .types import Type, literal_type


@dataclass(frozen=True)
class ListDef:
    decl: ast.ListDecl
    values: tuple
    item: Type


@dataclass(frozen=True)
class ParamDef:
    decl: ast.ParamDecl
    value: object
    type: Type


@dataclass(frozen=True)
class PolicySet:
    program: Program
    lists: dict[str, ListDef]
    params: dict[str, ParamDef]
    templates: dict[str, ast.Template]
    policies: tuple[ast.Policy, ...]
    allowlists: tuple[ast.Allowlist, ...]
    mappings: tuple[ast.Mapping, ...]
    image_rules: tuple[ast.ImageRule, ...]
    today: date
    # Every `unmatched` declaration; more than one is an error of the names pass.
    unmatched: tuple[ast.Unmatched, ...] = ()

    def policy(self, policy_id: str) -> ast.Policy | None:
        return next((p for p in self.policies if p.id == policy_id), None)

    def rule_ids(self) -> set[str]:
        return {r.id for p in self.policies for r in p.rules}

    def rules_named(self, rule_id: str) -> list[tuple[ast.Policy, ast.Rule]]:
        return [(p, r) for p in self.policies for r in p.rules if r.id == rule_id]


def literal_value(lit: ast.Literal) -> object:
    """The plain Python/JSON value of a literal."""
    if lit.kind == "list":
        return [literal_value(i) for i in lit.value]
    if lit.kind == "object":
        return {k: literal_value(v) for k, v in lit.value}
    return lit.value


def collect(program: Program, today: date) -> PolicySet:
    """Group declarations by kind; duplicates are reported by the names pass."""
    lists: dict[str, ListDef] = {}
    params: dict[str, ParamDef] = {}
    templates: dict[str, ast.Template] = {}
    policies, allowlists, mappings, image_rules, unmatched = [], [], [], [], []
    for module in program.modules:
        for decl in module.declarations:
            if isinstance(decl, ast.ListDecl):
                values = (tuple(literal_value(i) for i in decl.items) if decl.items is not None
                          else tuple(program.loaded.get((module.path, decl.name), ())))
                item = literal_type(list(values)).item if values else Type("any")
                lists.setdefault(decl.name, ListDef(decl, values, item))
            elif isinstance(decl, ast.ParamDecl):
                value = (literal_value(decl.value) if decl.value is not None
                         else program.loaded.get((module.path, decl.name)))
                params.setdefault(decl.name, ParamDef(decl, value, literal_type(value)))
            elif isinstance(decl, ast.Template):
                templates.setdefault(decl.name, decl)
            elif isinstance(decl, ast.Policy):
                policies.append(decl)
            elif isinstance(decl, ast.Allowlist):
                allowlists.append(decl)
            elif isinstance(decl, ast.Mapping):
                mappings.append(decl)
            elif isinstance(decl, ast.ImageRule):
                image_rules.append(decl)
            elif isinstance(decl, ast.Unmatched):
                unmatched.append(decl)
    return PolicySet(program, lists, params, templates, tuple(policies), tuple(allowlists),
                     tuple(mappings), tuple(image_rules), today, tuple(unmatched))


def all_declarations(policy_set: PolicySet):
    for module in policy_set.program.modules:
        yield from module.declarations
