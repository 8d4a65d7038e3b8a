"""A checked policy set → its Rego modules: one per policy, and the named lists as sets."""

from __future__ import annotations

from dataclasses import dataclass

from .. import ast
from ..model import PolicySet
from .exceptions import ExceptionDef, exception_defs
from .rego import identifier, metadata, rego_string, source_of, unique_identifiers
from .rules import Mapped, RuleGenerator


def package_names(policy_set: PolicySet) -> dict[str, str]:
    """Policy id → unique Rego package identifier."""
    return unique_identifiers([(policy.id, identifier(policy.id)) for policy in policy_set.policies])


@dataclass(frozen=True)
class GeneratedModule:
    text: str
    source_map: tuple[Mapped, ...] = ()


def generate_modules(policy_set: PolicySet) -> dict[str, GeneratedModule]:
    """Bundle path → Rego source (and its source map) for every generated module."""
    modules = {}
    packages = package_names(policy_set)
    exceptions = exception_defs(policy_set)
    for policy in policy_set.policies:
        applicable = [e for e in exceptions if e.policy == policy.id or e.allowlist is not None]
        path = f"regate/policies/{packages[policy.id]}/policy.rego"
        modules[path] = PolicyGenerator(policy_set, policy, packages[policy.id], applicable).module()
    if policy_set.lists:
        modules["regate/sets/sets.rego"] = GeneratedModule(_sets_module(policy_set))
    return modules


def _sets_module(policy_set: PolicySet) -> str:
    parts = ["# METADATA", "# title: Named lists as sets",
             "# description: Each list of the policy set as a set, built once per query, so membership is a lookup.",
             "package regate.sets", ""]
    for name in sorted(policy_set.lists):
        parts.append(f"{name} := {{x | some x in data.regate.lists.{name}}}")
        parts.append("")
    return "\n".join(parts)


class PolicyGenerator:
    def __init__(self, policy_set: PolicySet, policy: ast.Policy, package: str, exceptions: list[ExceptionDef]):
        self.policy_set = policy_set
        self.policy = policy
        self.package = package
        self.exceptions = exceptions

    def module(self) -> GeneratedModule:
        policy = self.policy
        head = metadata([("title", policy.title or policy.id), ("description", policy.description)],
                         [("policy", policy.id), ("source", source_of(self.policy_set, policy.span))])
        blocks = ["\n".join(head + [f"package regate.policies.{self.package}"])]
        source_map: list[Mapped] = []
        for rule in policy.rules:
            mine = [e for e in self.exceptions if e.allow.rule == rule.id]
            generator = RuleGenerator(self.policy_set, rule, mine)
            for block in generator.blocks():
                first_line = sum(b.count("\n") + 2 for b in blocks) + 1
                source_map += generator.map_block(block, first_line)
                blocks.append(block)
        entries = "".join(f"\t{rego_string(r.id)}: {r.id},\n" for r in policy.rules)
        blocks.append("# METADATA\n# title: Findings of every rule, by rule id\n"
                      + ("rules := {\n" + entries + "}" if entries else "rules := {}"))
        return GeneratedModule("\n\n".join(blocks) + "\n", tuple(source_map))
