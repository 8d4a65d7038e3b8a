"""Semantic passes over a policy set, in stages.

Each pass takes a policy set and returns it, possibly rewritten, with its
diagnostics. Every pass of a stage runs, so one run reports all the errors of
a file; the first stage that finds an error stops the pipeline, because later
stages assume a well-formed policy set."""

from __future__ import annotations

from ..diagnostics import Diagnostic, Diagnostics
from ..model import PolicySet
from .linear import check_linear
from .names import check_names
from .reach import check_reachability
from .rules import check_rules
from .templates import expand_templates

STAGES = (
    (check_names, expand_templates, check_rules, check_linear),
    (check_reachability,),
)


def run_passes(policy_set: PolicySet) -> tuple[PolicySet, list[Diagnostic]]:
    """The checked policy set and its warnings; raises `Diagnostics` on errors."""
    warnings: list[Diagnostic] = []
    for stage in STAGES:
        errors: list[Diagnostic] = []
        for check in stage:
            policy_set, found = check(policy_set)
            errors.extend(d for d in found if d.is_error)
            warnings.extend(d for d in found if not d.is_error)
        if errors:
            raise Diagnostics(errors + warnings)
    return policy_set, sorted(warnings, key=lambda d: (d.span, d.code))
