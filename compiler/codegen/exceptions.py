"""Exceptions of a policy set, numbered into their bundle-wide ids (`policy:p/rule#1`)."""

from __future__ import annotations

from dataclasses import dataclass

from .. import ast
from ..model import PolicySet


@dataclass(frozen=True)
class ExceptionDef:
    """An exception with its bundle-wide id and where it is declared."""

    id: str
    allow: ast.Allow
    policy: str | None
    allowlist: str | None


def exception_defs(policy_set: PolicySet) -> list[ExceptionDef]:
    found = []
    for policy in policy_set.policies:
        found += _numbered(policy.allows, f"policy:{policy.id}", policy.id, None)
    for allowlist in policy_set.allowlists:
        found += _numbered(allowlist.allows, f"allowlist:{allowlist.id}", None, allowlist.id)
    return found


def _numbered(allows, prefix, policy, allowlist) -> list[ExceptionDef]:
    counts: dict[str, int] = {}
    out = []
    for allow in allows:
        counts[allow.rule] = counts.get(allow.rule, 0) + 1
        out.append(ExceptionDef(f"{prefix}/{allow.rule}#{counts[allow.rule]}", allow, policy, allowlist))
    return out
