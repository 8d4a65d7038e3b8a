"""Evaluation cost: regate's decision next to OPA evaluating a trivial policy.

    python bench/eval_bench.py                        # 100, 1,000 and 10,000 packages
    python bench/eval_bench.py --sizes 100 --repeat 3 --requests 20

For each size a synthetic input document (packages, and one vulnerability per
ten packages, every fifth critical and fixable) is evaluated:

- per image through the CLI engine (`opa eval`, one process per input), and
  through the managed `opa run --server` (one HTTP request per input), median
  of --repeat runs;
- as server throughput, --requests decisions back to back;

each next to the same measurement of a trivial bundle (`main` counts the
input's packages) on the same input in the same run, so what the policy
itself costs is the difference, and the ratio shows it relative to moving
the input into OPA at all.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

from regate.bundle import write_bundle
from regate.compile import compile_policies
from regate.engine.cli import CliEngine
from regate.engine.decision import QUERY
from regate.engine.managed import ManagedEngine, ManagedOpa
from regate.engine.shapes import json_body
from regate.inputs import complete
from regate.opa import find_opa

TRIVIAL = "package regate.decision\n\nmain := count(input.packages)\n"
NOW = "2026-06-01T00:00:00Z"


def synthetic_input(packages: int) -> dict:
    """An input document of `packages` Debian packages and packages/10 vulnerabilities."""
    severities = ["critical", "high", "medium", "low", "negligible"]
    doc = {"now": NOW, "image": {"reference": "registry.example.com/prod/bench:1", "user": "app"},
           "packages": {}, "vulnerabilities": {}}
    for i in range(packages):
        key = f"deb:pkg{i}@1.{i % 7}.{i % 13}-1"
        doc["packages"][key] = {"licenses": ["MIT"]}
        if i % 10 == 0:
            fixed = i % 20 == 0
            doc["vulnerabilities"][f"CVE-2024-{10000 + i}+{key}"] = {
                "severity": severities[(i // 10) % len(severities)],
                "fix": {"state": "fixed" if fixed else "not-fixed", "versions": [f"1.{i % 7}.{i % 13}-2"] if fixed else []},
                "published": "2025-01-01T00:00:00Z",
            }
    return complete(doc)


def _median_ms(run, repeat: int) -> float:
    samples = []
    for _ in range(repeat):
        started = time.perf_counter()
        run()
        samples.append((time.perf_counter() - started) * 1000)
    return statistics.median(samples)


def _throughput(run, requests: int) -> float:
    started = time.perf_counter()
    for _ in range(requests):
        run()
    return requests / (time.perf_counter() - started)


def _trivial_bundle(directory: Path) -> Path:
    path = directory / "trivial"
    (path / "regate" / "decision").mkdir(parents=True)
    (path / "regate" / "decision" / "decision.rego").write_text(TRIVIAL)
    (path / ".manifest").write_text(json.dumps({"revision": "trivial", "roots": ["regate"]}))
    return path


def measure(policy: Path, sizes: list[int], repeat: int, requests: int) -> tuple[list[dict], dict]:
    opa = find_opa()
    with tempfile.TemporaryDirectory() as scratch:
        scratch = Path(scratch)
        bundle = scratch / "policy.tar.gz"
        write_bundle(compile_policies([policy], date(2026, 6, 1)), bundle)
        trivial = _trivial_bundle(scratch)
        started = time.perf_counter()
        regate_server = ManagedEngine.serving(ManagedOpa(opa, bundle))
        startup_ms = (time.perf_counter() - started) * 1000
        trivial_server = ManagedEngine.serving(ManagedOpa(opa, trivial))
        try:
            cli = CliEngine(bundle, opa, timeout=600)
            rows = []
            for size in sizes:
                doc = synthetic_input(size)
                text = json.dumps(doc)
                decision = cli.evaluate(doc)
                assert regate_server.evaluate(doc) == decision  # the engines agree on what is measured

                def trivial_cli():
                    done = opa.run("eval", "--format", "json", "--bundle", str(trivial), "--stdin-input", QUERY,
                                   input_text=text, timeout=600)
                    assert done.returncode == 0, done.stderr

                def trivial_post():  # as the managed engine asks: the webhook API, through its client
                    status, _ = trivial_server.http.post("/v0/data/regate/decision/main", json_body(doc))
                    assert status == 200

                rows.append({
                    "packages": size,
                    "vulnerabilities": len(doc["vulnerabilities"]),
                    "findings": len(decision["findings"]),
                    "input_kb": len(text) / 1024,
                    "cli_ms": _median_ms(lambda: cli.evaluate(doc), repeat),
                    "cli_trivial_ms": _median_ms(trivial_cli, repeat),
                    "server_ms": _median_ms(lambda: regate_server.evaluate(doc), repeat),
                    "server_trivial_ms": _median_ms(trivial_post, repeat),
                    "server_per_s": _throughput(lambda: regate_server.evaluate(doc), requests),
                    "server_trivial_per_s": _throughput(trivial_post, requests),
                })
        finally:
            regate_server.close()
            trivial_server.close()
    return rows, {"opa": opa.version, "startup_ms": startup_ms, "policy": str(policy)}


def table(rows: list[dict], about: dict) -> str:
    header = ("packages", "vulns", "findings", "input KB",
              "cli ms", "trivial", "×", "server ms", "trivial", "×", "server dec/s", "trivial", "×")
    lines = [f"regate decision vs trivial policy; OPA {about['opa']}; policy {about['policy']}",
             f"managed server start (bundle active): {about['startup_ms']:.0f} ms", "",
             " | ".join(header), " | ".join("-" * len(h) for h in header)]
    for r in rows:
        lines.append(" | ".join([
            f"{r['packages']:,}", f"{r['vulnerabilities']:,}", f"{r['findings']:,}", f"{r['input_kb']:,.0f}",
            f"{r['cli_ms']:.1f}", f"{r['cli_trivial_ms']:.1f}", f"{r['cli_ms'] / r['cli_trivial_ms']:.2f}",
            f"{r['server_ms']:.1f}", f"{r['server_trivial_ms']:.1f}", f"{r['server_ms'] / r['server_trivial_ms']:.2f}",
            f"{r['server_per_s']:,.1f}", f"{r['server_trivial_per_s']:,.1f}",
            f"{r['server_per_s'] / r['server_trivial_per_s']:.2f}",
        ]))
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="100,1000,10000", help="package counts, comma-separated")
    parser.add_argument("--repeat", type=int, default=5, help="latency samples per measurement (median)")
    parser.add_argument("--requests", type=int, default=50, help="decisions per throughput measurement")
    parser.add_argument("--policy", type=Path, default=ROOT / "examples" / "production")
    parser.add_argument("--json", action="store_true", help="print the measurements as JSON instead of a table")
    args = parser.parse_args(argv)
    rows, about = measure(args.policy, [int(s) for s in args.sizes.split(",")], args.repeat, args.requests)
    print(json.dumps({"about": about, "rows": rows}, indent=2) if args.json else table(rows, about))
    return 0


if __name__ == "__main__":
    sys.exit(main())
