"""Fuzz regate: mutated policies, scanner JSON and images, against the oracles.

    python fuzz/run.py --seconds 600 --seed 1 [--target policy|json|image|all] [--save DIR]
    python fuzz/run.py --cases 300 --seed 1 --target policy        # a fixed slice, as CI runs it
    python fuzz/run.py --seed 1 --target json --case 1234 --save d # one case again

Case i of a target is generated from the seed, the target and i alone, so a
finding is reproduced by its (seed, target, case). Findings are grouped by
signature (exception type and innermost regate frame, or the oracle's
complaint); each group's smallest case is minimized and saved under --save.

Targets live in fuzz/targets.py, one `register(Target(...))` each. The
compiler's differential test runs its own loop (fuzz/differential.py);
`make fuzz` runs both.
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

if __name__ == "__main__":  # run as a script: make the `fuzz` package importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from fuzz.external import cli_findings, opa_strict, regate_cli  # noqa: E402
from fuzz.minimize import minimize  # noqa: E402
from fuzz.oracles import Finding, Outcome  # noqa: E402
from fuzz.sandbox import Sandbox, prepare_workdir  # noqa: E402
from fuzz.targets import TARGETS, Case, case_rng  # noqa: E402

# Every CLI_EVERY-th case also goes through the real CLI, every OPA_EVERY-th
# accepted policy through `opa check --strict`, OPA_BATCH cases per opa call.
CLI_EVERY = 40
OPA_EVERY = 4
OPA_BATCH = 60


@dataclass
class Found:
    """One signature: how often, and the smallest case that showed it."""

    finding: Finding
    count: int = 0
    case: int = -1
    data: bytes = b""
    origin: str = ""


@dataclass
class Report:
    seed: int
    cases: dict[str, int] = field(default_factory=dict)
    accepted: dict[str, int] = field(default_factory=dict)
    found: dict[tuple[str, str], Found] = field(default_factory=dict)  # (target, signature) -> Found

    def add(self, target: str, index: int, case: Case, findings: list[Finding]) -> None:
        for finding in findings:
            group = self.found.setdefault((target, finding.signature), Found(finding))
            group.count += 1
            if group.case < 0 or len(case.data) < len(group.data):
                group.finding, group.case, group.data, group.origin = finding, index, case.data, case.origin

    def signatures(self) -> set[tuple[str, str]]:
        return set(self.found)


class Campaign:
    def __init__(self, seed: int, cli_every: int = CLI_EVERY, opa_every: int = OPA_EVERY):
        self.seed, self.cli_every, self.opa_every = seed, cli_every, opa_every
        self.report = Report(seed)
        checks = {name: target.check for name, target in TARGETS.items()}
        self.sandboxes = {name: Sandbox(checks, target.timeout) for name, target in TARGETS.items()}
        self._pending: list[tuple[str, int, dict[str, str], Case]] = []
        self._workdir = Path(tempfile.mkdtemp(prefix="regate-fuzz-cli-"))
        prepare_workdir(self._workdir)

    def generate(self, target: str, index: int) -> Case:
        return TARGETS[target].generate(case_rng(self.seed, target, index))

    def outcome(self, target: str, data: bytes) -> Outcome:
        return self.sandboxes[target].run(target, data)

    def run_case(self, target: str, index: int) -> None:
        case = self.generate(target, index)
        outcome = self.outcome(target, case.data)
        self.report.add(target, index, case, outcome.findings)
        self.report.cases[target] = self.report.cases.get(target, 0) + 1
        self.report.accepted[target] = self.report.accepted.get(target, 0) + outcome.accepted
        if outcome.modules is not None and index % self.opa_every == 0:
            self._pending.append((target, index, outcome.modules, case))
            if len(self._pending) >= OPA_BATCH:
                self.flush_opa()
        if self.cli_every and index % self.cli_every == 0:
            self.report.add(target, index, case, self.cli_check(target, case.data))

    def cli_check(self, target: str, data: bytes) -> list[Finding]:
        spec = TARGETS[target]
        path = self._workdir / f"case{spec.suffix}"
        path.write_bytes(data)
        done = regate_cli(spec.cli_args(path.name), self._workdir, spec.timeout * 3)
        return cli_findings(target, done, policy=target == "policy")

    def flush_opa(self) -> None:
        batch, self._pending = self._pending, []
        # Cases of different targets share an index: number them within the batch.
        found = opa_strict([(n, modules) for n, (_, _, modules, _) in enumerate(batch)])
        for n, findings in sorted(found.items()):
            target, index, _, case = batch[n]
            self.report.add(target, index, case, findings)

    def run(self, targets: list[str], seconds: float | None, cases: int | None, first: int = 0) -> Report:
        """Round-robin over targets until the time or the case count per target runs out."""
        deadline = time.monotonic() + seconds if seconds else None
        index = first
        while True:
            if cases is not None and index >= first + cases:
                break
            if deadline is not None and time.monotonic() >= deadline:
                break
            for target in targets:
                self.run_case(target, index)
            index += 1
        self.flush_opa()
        return self.report

    def close(self) -> None:
        for sandbox in self.sandboxes.values():
            sandbox.close()
        shutil.rmtree(self._workdir, ignore_errors=True)


def run_slice(seed: int, counts: dict[str, int]) -> Report:
    """A fixed number of cases per target: the same cases, hence the same findings, on every run."""
    campaign = Campaign(seed)
    try:
        for target, count in counts.items():
            campaign.run([target], None, count)
        return campaign.report
    finally:
        campaign.close()


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", text).strip("_")[:80]


def save(campaign: Campaign, directory: Path, minimize_cases: bool = True) -> None:
    for (target, signature), group in sorted(campaign.report.found.items()):
        spec = TARGETS[target]
        data = group.data
        if minimize_cases and spec.minimizable and group.finding.kind not in ("timeout", "died", "opa-strict", "cli"):
            data = minimize(data, lambda d: signature in {f.signature for f in campaign.outcome(target, d).findings},
                            json_like=target == "json")
        folder = directory / target
        folder.mkdir(parents=True, exist_ok=True)
        stem = _slug(signature)
        # `.case` last: saved policies are not *.regate files that the repository's policy tests would pick up.
        (folder / f"{stem}{spec.suffix}.case").write_bytes(data)
        (folder / f"{stem}.finding.json").write_text(json.dumps({
            **group.finding.as_json(), "target": target, "count": group.count, "seed": campaign.seed,
            "case": group.case, "origin": group.origin,
            "reproduce": f"python fuzz/run.py --seed {campaign.seed} --target {target} --case {group.case}",
        }, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


def print_report(report: Report, seconds: float) -> None:
    print(f"seed {report.seed}, {seconds:.0f} s: " + ", ".join(
        f"{n} {t} cases ({report.accepted.get(t, 0)} accepted)" for t, n in sorted(report.cases.items())))
    if not report.found:
        print("no findings")
    for (target, signature), group in sorted(report.found.items(), key=lambda item: (-item[1].count, item[0])):
        print(f"  [{target}] {group.count:5d} x {signature}   (case {group.case})")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, help="time budget for the whole run")
    parser.add_argument("--cases", type=int, help="cases per target (deterministic slice) instead of a time budget")
    parser.add_argument("--case", type=int, help="run this one case of --target")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--target", default="all", choices=["all", *TARGETS])
    parser.add_argument("--save", type=Path, help="write each group's minimized reproducer here")
    parser.add_argument("--no-minimize", action="store_true")
    args = parser.parse_args(argv)
    if args.seconds is None and args.cases is None and args.case is None:
        parser.error("give --seconds, --cases or --case")
    targets = list(TARGETS) if args.target == "all" else [args.target]
    # One case again: through every oracle, not only the sampled ones.
    campaign = Campaign(args.seed, cli_every=1, opa_every=1) if args.case is not None else Campaign(args.seed)
    started = time.monotonic()
    try:
        if args.case is not None:
            campaign.run(targets, None, 1, first=args.case)
        else:
            campaign.run(targets, args.seconds, args.cases)
        elapsed = time.monotonic() - started
        print_report(campaign.report, elapsed)
        if args.save:
            save(campaign, args.save, not args.no_minimize)
            print(f"reproducers in {args.save}")
    finally:
        campaign.close()
    return 1 if campaign.report.found else 0


if __name__ == "__main__":
    sys.exit(main())
