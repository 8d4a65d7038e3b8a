"""Generated Rego next to hand-written expert Rego, same rules, same input, same run.

Builds a synthetic input (default 10,000 packages, 5,000 vulnerabilities),
compiles bench/expert/bench.regate, checks that regate's findings equal the
expert policy's (bench/expert/expert.rego), then times both with `opa bench`:
the rules alone and the whole decision. A size sweep shows evaluation time
grows linearly with the input.

    python bench/rego_bench.py [--packages 10000] [--vulnerabilities 5000]
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import tempfile
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from regate.bundle import write_directory  # noqa: E402
from regate.compile import compile_policies  # noqa: E402
from regate.inputs import complete  # noqa: E402
from regate.opa import find_opa  # noqa: E402

HERE = Path(__file__).resolve().parent
SEVERITIES = ["unknown", "negligible", "low", "medium", "high", "critical"]
LICENSES = ["MIT", "Apache-2.0", "BSD-3-Clause", "GPL-2.0-only", "LGPL-2.1-only", "AGPL-3.0-only", "MPL-2.0"]
DENIED = ["telnet", "nmap", "tcpdump", "gdb", "strace"]


def synthetic_input(packages: int, vulnerabilities: int, seed: int = 7) -> tuple[dict, list[str]]:
    rng = random.Random(seed)
    pkgs = {}
    for i in range(packages):
        kind = rng.choice(["deb", "npm", "python", "java-archive"])
        name = DENIED[i % len(DENIED)] if i % 997 == 0 else f"lib{i}"
        version = f"{rng.randint(0, 9)}.{rng.randint(0, 30)}.{rng.randint(0, 99)}"
        licenses = [rng.choice(LICENSES)] + ([rng.choice(LICENSES)] if rng.random() < 0.2 else [])
        pkgs[f"{kind}:{name}@{version}"] = {"licenses": sorted(set(licenses))}
    keys = sorted(pkgs)
    vulns = {}
    for i in range(vulnerabilities):
        package = keys[rng.randrange(len(keys))]
        fixed = rng.random() < 0.5
        vulns[f"CVE-2024-{i:05d}+{package}"] = {
            "severity": rng.choices(SEVERITIES, weights=[2, 1, 10, 20, 12, 5])[0],
            "published": f"2026-{rng.randint(1, 5):02d}-{rng.randint(1, 28):02d}T00:00:00Z",
            "fix": {"state": "fixed", "versions": [f"{rng.randint(0, 9)}.0.0"]} if fixed else {"state": "not-fixed"},
        }
    ports = {f"{p}/tcp": {} for p in (22, 80, 443, 5432, 6379, 9000)}
    secrets = {f"aws-access-key:/app/f{i}.env:1": {"path": f"/app/f{i}.env", "line": 1, "match": "AKIA****"}
               for i in range(20)}
    document = complete({"now": "2026-06-01T00:00:00Z", "image": {"exposed_ports": ports}, "packages": pkgs,
                         "vulnerabilities": vulns, "secrets": secrets})
    accepted = [f"CVE-2024-{i:05d}" for i in range(0, vulnerabilities, max(1, vulnerabilities // 100))]
    return document, accepted


def bench(opa, query: str, sources: list[str], input_path: Path, count: int) -> float:
    """Median ns/op of `opa bench` for the query."""
    ran = opa.run("bench", "--format", "json", "--count", str(count), "-i", str(input_path), *sources, query,
                  timeout=1800)
    if ran.returncode != 0:
        raise SystemExit(f"opa bench failed for {query}: {ran.stderr or ran.stdout}")
    decoder, text, position, per_op = json.JSONDecoder(), ran.stdout, 0, []
    while position < len(text.rstrip()):  # --count N prints N JSON objects in a row
        result, position = decoder.raw_decode(text, position)
        per_op.append(result["T"] / result["N"])
        while position < len(text) and text[position].isspace():
            position += 1
    return sorted(per_op)[len(per_op) // 2]


def evaluate(opa, query: str, sources: list[str], input_path: Path):
    ran = opa.run("eval", "--format", "json", "-i", str(input_path), *sources, query, timeout=1800)
    if ran.returncode != 0:
        raise SystemExit(ran.stderr)
    return json.loads(ran.stdout)["result"][0]["expressions"][0]["value"]


def prepare(scratch: Path, packages: int, vulnerabilities: int) -> tuple[list[str], list[str], Path]:
    document, accepted = synthetic_input(packages, vulnerabilities)
    input_path = scratch / f"input-{packages}.json"
    input_path.write_text(json.dumps(document))
    policy = scratch / f"policy-{packages}"
    policy.mkdir()
    (policy / "bench.regate").write_text((HERE / "expert" / "bench.regate").read_text())
    (policy / "accepted.yaml").write_text(json.dumps(accepted))
    bundle = scratch / f"bundle-{packages}"
    write_directory(compile_policies([policy], date(2026, 1, 1)), bundle)
    (scratch / f"accepted-{packages}.json").write_text(json.dumps({"accepted": accepted}))
    regate_sources = ["-b", str(bundle)]
    expert_sources = ["-d", str(HERE / "expert" / "expert.rego"), "-d", str(scratch / f"accepted-{packages}.json")]
    return regate_sources, expert_sources, input_path


def same_findings(opa, regate_sources, expert_sources, input_path) -> int:
    decision = evaluate(opa, "data.regate.decision.main", regate_sources, input_path)
    expert = evaluate(opa, "data.expert.decision", expert_sources, input_path)
    ours = sorted((f["rule"], f["key"], f["message"], f["exception"] is not None) for f in decision["findings"])
    theirs = sorted((f["rule"], f["key"], f["message"], f["excepted"]) for f in expert["findings"])
    if ours != theirs or decision["final_action"] != expert["final_action"]:
        missing = set(theirs) - set(ours)
        extra = set(ours) - set(theirs)
        raise SystemExit(f"findings differ: {len(missing)} only in expert, {len(extra)} only in regate; "
                         f"e.g. {sorted(missing)[:2]} / {sorted(extra)[:2]}")
    return len(ours)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--packages", type=int, default=10_000)
    parser.add_argument("--vulnerabilities", type=int, default=5_000)
    parser.add_argument("--count", type=int, default=3, help="opa bench repetitions (median is reported)")
    args = parser.parse_args()
    opa = find_opa()
    with tempfile.TemporaryDirectory() as scratch_name:
        scratch = Path(scratch_name)
        regate_sources, expert_sources, input_path = prepare(scratch, args.packages, args.vulnerabilities)
        findings = same_findings(opa, regate_sources, expert_sources, input_path)
        print(f"input: {args.packages} packages, {args.vulnerabilities} vulnerabilities "
              f"({input_path.stat().st_size / 1e6:.1f} MB); {findings} findings, identical in both policies")
        rows = [
            ("rules only", "data.regate.policies.bench.rules", "data.expert.findings"),
            ("whole decision", "data.regate.decision.main", "data.expert.decision"),
        ]
        print(f"{'query':<16}{'regate ms':>12}{'expert ms':>12}{'ratio':>8}")
        for label, ours, theirs in rows:
            a = bench(opa, ours, regate_sources, input_path, args.count) / 1e6
            b = bench(opa, theirs, expert_sources, input_path, args.count) / 1e6
            print(f"{label:<16}{a:>12.1f}{b:>12.1f}{a / b:>7.2f}x")
        print("scaling of the whole decision (linear means time/size stays flat):")
        print(f"{'packages':>10}{'vulns':>8}{'regate ms':>12}{'expert ms':>12}{'us/package':>12}")
        for fraction in (4, 2, 1):
            n, m = args.packages // fraction, args.vulnerabilities // fraction
            sub = scratch / f"sweep-{n}"
            sub.mkdir()
            ours, theirs, path = prepare(sub, n, m)
            a = bench(opa, "data.regate.decision.main", ours, path, args.count) / 1e6
            b = bench(opa, "data.expert.decision", theirs, path, args.count) / 1e6
            print(f"{n:>10}{m:>8}{a:>12.1f}{b:>12.1f}{1000 * a / n:>12.1f}")


if __name__ == "__main__":
    main()
