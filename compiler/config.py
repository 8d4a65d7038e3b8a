"""The bundle's data document: policy metadata, mappings, image lists,
exceptions, named lists and parameters, under `data.regate`.

The runtime library (`regate.decision`) reads it to choose policies, apply
exceptions and describe findings; keeping it data (not code) lets an OPA
server's operators override lists and parameters without recompiling.
"""

from __future__ import annotations

from . import ast
from .codegen import date_ns, exception_defs, package_names, source_of
from .model import PolicySet
from .reads import rule_reads


def data_document(policy_set: PolicySet) -> dict:
    packages = package_names(policy_set)
    return {
        "regate": {
            "config": {
                "policies": {p.id: _policy(policy_set, p, packages[p.id]) for p in policy_set.policies},
                "policy_order": [p.id for p in policy_set.policies],
                "mappings": [_mapping(policy_set, m) for m in policy_set.mappings],
                # What an image no mapping matches gets; null makes it an error (docs/decision.md).
                "unmatched": policy_set.unmatched[0].action.upper() if policy_set.unmatched else None,
                "allowlists": [a.id for a in policy_set.allowlists],
                "images": {
                    verdict: [
                        {"pattern": n.value, "reason": r.reason, "source": source_of(policy_set, r.span)}
                        for r in policy_set.image_rules if r.verdict == verdict for n in r.patterns
                    ]
                    for verdict in ("allow", "deny")
                },
                "exceptions": {e.id: _exception(policy_set, e) for e in exception_defs(policy_set)},
            },
            "lists": {name: list(d.values) for name, d in sorted(policy_set.lists.items())},
            "params": {name: d.value for name, d in sorted(policy_set.params.items())},
        }
    }


def _policy(policy_set: PolicySet, policy: ast.Policy, package: str) -> dict:
    return {
        "package": package,
        "title": policy.title or policy.id,
        "description": policy.description,
        "source": source_of(policy_set, policy.span),
        "rules": {r.id: _rule(policy_set, r) for r in policy.rules},
    }


def _rule(policy_set: PolicySet, rule: ast.Rule) -> dict:
    meta = rule.body.meta
    # Only imported rules have an origin; leaving the key out elsewhere keeps other bundles unchanged.
    origin = {"origin": meta.origin} if meta.origin is not None else {}
    return {
        "action": rule.action.upper(),
        "title": meta.title or rule.id,
        "description": meta.description,
        "severity": meta.severity,
        "remediation": meta.remediation,
        "links": list(meta.links),
        "source": source_of(policy_set, rule.span),
        "reads": rule_reads(rule),
        **origin,
    }


def _mapping(policy_set: PolicySet, mapping: ast.Mapping) -> dict:
    return {
        "id": mapping.id,
        "images": [n.value for n in mapping.images],
        "policies": [n.value for n in mapping.policies],
        "allowlists": [n.value for n in mapping.allowlists],
        "source": source_of(policy_set, mapping.span),
        **({"baseline": mapping.baseline.value} if mapping.baseline is not None else {}),
    }


def _exception(policy_set: PolicySet, definition) -> dict:
    allow = definition.allow
    return {
        "rule": allow.rule,
        "policy": definition.policy,
        "allowlist": definition.allowlist,
        "until": allow.until,
        "until_ns": date_ns(allow.until, end_of_day=True) if allow.until else None,
        "reason": allow.reason,
        "source": source_of(policy_set, allow.span),
    }
