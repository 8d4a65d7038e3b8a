"""`regate check` of a prepared input document next to the bare `opa eval` of the same bundle and input.

The document is the evaluation benchmark's synthetic input (default 10,000 packages,
5,000 vulnerabilities) and the policy its five rules. `regate check` runs with a warm
compile cache and its bytecode compiled, as in a pipeline; the bare call evaluates the
cached bundle it uses, on the same file. Both are whole processes, timed alternately; the medians are compared.

    python bench/check_bench.py [--packages 10000] [--runs 5]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from rego_bench import prepare
from summary import report

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from regate.opa import find_opa  # noqa: E402

TARGET = 1.3


def wall(argv: list[str], env: dict) -> float:
    started = time.perf_counter()
    done = subprocess.run(argv, env=env, capture_output=True, text=True)
    elapsed = time.perf_counter() - started
    if done.returncode not in (0, 1):  # 1: the synthetic image is STOPped
        raise SystemExit(f"{argv[0]} failed: {done.stderr}")
    return elapsed


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--packages", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    opa = find_opa()
    regate = str(Path(sys.executable).with_name("regate"))
    with tempfile.TemporaryDirectory() as scratch_name:
        scratch = Path(scratch_name)
        _, _, input_path = prepare(scratch, args.packages, args.packages // 2)
        policy = scratch / f"policy-{args.packages}"
        env = dict(os.environ, REGATE_CACHE_DIR=str(scratch / "cache"))
        # As installed (pip compiles a package's bytecode): without its .pyc files, each run would
        # compile regate's own sources again, which no pipeline pays.
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        report_path = scratch / "report.json"
        check = [regate, "check", "--policy", str(policy), str(input_path), "--format", "json", "-o", str(report_path)]
        wall(check, env)  # compiles into the cache
        bundle = json.loads(report_path.read_text())["engine"]["target"]
        bare = [opa.path, "eval", "--format", "json", "--bundle", bundle, "-i", str(input_path),
                "data.regate.decision.main"]
        ours, theirs = [], []
        for _ in range(args.runs):
            ours.append(wall(check, env))
            theirs.append(wall(bare, env))
    a, b = statistics.median(ours), statistics.median(theirs)
    print(f"input: {args.packages} packages, {args.packages // 2} vulnerabilities; median of {args.runs} runs")
    print(f"{'regate check (warm cache)':<28}{a:>8.2f} s")
    print(f"{'opa eval, same bundle':<28}{b:>8.2f} s")
    print(f"ratio {a / b:.2f}x (target <= {TARGET}x)")
    report(f"regate check / opa eval, {args.packages:,} packages", f"<= {TARGET}x", f"{a / b:.2f}x", a / b <= TARGET)
    return 0 if a / b <= TARGET else 1


if __name__ == "__main__":
    sys.exit(main())
