"""Differential testing of the compiler: real OPA on the generated Rego against the oracle.

One round = one random policy set (compiled to a bundle) × many random documents, evaluated in ONE
`opa eval` (each document bound as `input` with `with`). Per document it compares every rule's
findings (key, message, exceptions that matched) and, for documents the decision accepts, the
decision's findings (action after exceptions and expiry, the exception applied). Every bundle must
also pass `opa check --strict` and be `opa fmt`-clean.
"""

from __future__ import annotations

import json
import random
import shutil
import tempfile
from dataclasses import dataclass, field
from datetime import date
from fractions import Fraction
from pathlib import Path

from regate.bundle import write_directory
from regate.codegen import package_names
from regate.compile import compile_policies
from regate.diagnostics import Diagnostics

from .evaluate import Evaluator, applied_exception, canonical, exact, instant
from .generate import DocumentGenerator, PolicyGenerator

QUERY = """[r |
	some doc in input.docs
	r := {
		"rules": data.regate.policies,
		"findings": [[f.policy, f.rule, f.key, f.message, f.effective_action, object.get(f, ["exception", "id"], null)] |
			some f in data.regate.decision.findings
		],
	} with input as doc
]"""
REQUIRED = ("schema_version", "image", "packages", "vulnerabilities", "files", "secrets", "users", "changes")
TODAY = date(2026, 6, 1)


@dataclass
class Disagreement:
    seed: int
    policy: str
    document: object
    what: str
    oracle: object
    opa: object

    def describe(self) -> str:
        return (f"seed {self.seed}: {self.what}\n  oracle: {self.oracle}\n  opa:    {self.opa}\n"
                f"--- policy\n{self.policy}--- document\n{json.dumps(self.document, ensure_ascii=False)}")


@dataclass
class Tally:
    rounds: int = 0
    rejected: int = 0
    pairs: int = 0  # (policy set, document) pairs compared
    rule_checks: int = 0  # (rule, document) pairs compared
    firing: int = 0  # of which the rule had findings
    disagreements: list[Disagreement] = field(default_factory=list)
    rejections: list[str] = field(default_factory=list)


def run_round(opa, seed: int, documents: int, tally: Tally) -> None:
    rng = random.Random(seed)
    generator = PolicyGenerator(rng)
    source = generator.policy_set()
    docs = [DocumentGenerator(rng).document() for _ in range(documents)]
    workdir = Path(tempfile.mkdtemp(prefix="regate-differential-"))
    try:
        (workdir / "policy").mkdir()
        (workdir / "policy" / "policy.regate").write_text(source, encoding="utf-8")
        tally.rounds += 1
        try:
            compiled = compile_policies([workdir / "policy"], TODAY)
        except Diagnostics as found:
            tally.rejected += 1
            tally.rejections.append(f"seed {seed}: {found.diagnostics[0].code} {found.diagnostics[0].message}")
            return
        write_directory(compiled, workdir / "bundle")
        _check_generated(opa, seed, source, workdir / "bundle", tally)
        _check_origins(generator.origins, seed, source, workdir / "bundle" / "data.json", tally)
        (workdir / "input.json").write_text(json.dumps({"docs": docs}, ensure_ascii=False), encoding="utf-8")
        result = opa.run("eval", "--format", "json", "-b", str(workdir / "bundle"), "-i", str(workdir / "input.json"),
                         QUERY)
        if result.returncode != 0:
            tally.disagreements.append(Disagreement(seed, source, docs[0], "opa eval failed", None, result.stderr[-3000:]))
            return
        outputs = json.loads(result.stdout, parse_float=Fraction)["result"][0]["expressions"][0]["value"]
        _compare(compiled.policy_set, seed, source, docs, outputs, tally)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


def _check_generated(opa, seed: int, source: str, bundle: Path, tally: Tally) -> None:
    """Generated Rego stays `opa check --strict`- and `opa fmt`-clean, whatever the policy."""
    check = opa.run("check", "--strict", "-b", str(bundle))
    if check.returncode != 0:
        tally.disagreements.append(Disagreement(seed, source, None, "opa check --strict", "clean",
                                                (check.stdout + check.stderr)[-3000:]))
    fmt = opa.run("fmt", "--list", str(bundle))
    if fmt.returncode != 0 or fmt.stdout:
        tally.disagreements.append(Disagreement(seed, source, None, "opa fmt --list", "clean", fmt.stdout + fmt.stderr))


def _check_origins(written: dict[tuple[str, str], str], seed: int, source: str, data: Path, tally: Tally) -> None:
    """Every rule's `origin` lands verbatim in data.regate.config, absent for rules without one."""
    policies = json.loads(data.read_text(encoding="utf-8"))["regate"]["config"]["policies"]
    landed = {(policy_id, rule_id): rule["origin"] for policy_id, policy in policies.items()
              for rule_id, rule in policy["rules"].items() if "origin" in rule}
    if landed != written:
        tally.disagreements.append(Disagreement(seed, source, None, "rule origins in data.json", written, landed))


def _compare(policy_set, seed, source, docs, outputs, tally: Tally) -> None:
    oracle = Evaluator(policy_set)
    packages = package_names(policy_set)
    actions = {(p.id, r.id): r.action.upper() for p in policy_set.policies for r in p.rules}
    for doc, output in zip(docs, outputs, strict=True):
        tally.pairs += 1
        expected = oracle.findings(doc)
        wanted_findings = []
        for policy_id, rules in expected.items():
            got_rules = output["rules"].get(packages[policy_id], {}).get("rules", {})
            for rule_id, hits in rules.items():
                tally.rule_checks += 1
                tally.firing += bool(hits)
                got = {_hit(h) for h in got_rules.get(rule_id, [])}
                if got != hits:
                    tally.disagreements.append(Disagreement(
                        seed, source, doc, f"rule {policy_id}/{rule_id}", sorted(hits, key=repr), sorted(got, key=repr)))
                for key, message, ids in hits:
                    applied = applied_exception(policy_set, ids, instant(doc["now"]))
                    wanted_findings.append([policy_id, rule_id, key, message,
                                            "GO" if applied else actions[(policy_id, rule_id)], applied])
        if _valid(doc):
            got = sorted(([f[0], f[1], canonical(exact(f[2])), *f[3:]] for f in output["findings"]), key=repr)
            if got != sorted(wanted_findings, key=repr):
                tally.disagreements.append(Disagreement(seed, source, doc, "decision findings",
                                                        sorted(wanted_findings, key=repr), got))


def _hit(hit: list) -> tuple:
    """A generated rule's hit: [key, message] or [key, message, exception ids]."""
    ids = tuple(sorted(hit[2])) if len(hit) > 2 else None
    return canonical(exact(hit[0])), hit[1], ids


def _valid(doc) -> bool:
    """What the decision accepts (docs/decision.md, `invalid_input`): the required keys, version 1,
    collections as objects and `changes` as a list."""
    return (isinstance(doc, dict) and all(k in doc for k in REQUIRED) and doc["schema_version"] == 1
            and all(isinstance(doc[k], dict) for k in REQUIRED if k not in ("schema_version", "changes"))
            and isinstance(doc["changes"], list))


def run(opa, seed: int, rounds: int | None = None, seconds: float | None = None, documents: int = 40,
        on_round=None) -> Tally:
    """Rounds seed, seed+1, ... until `rounds` are done or `seconds` have passed."""
    import time

    tally = Tally()
    started = time.monotonic()
    n = 0
    while (rounds is None or n < rounds) and (seconds is None or time.monotonic() - started < seconds):
        run_round(opa, seed + n, documents, tally)
        n += 1
        if on_round is not None:
            on_round(tally)
    return tally
