"""`regate check` of a prepared input document next to the bare `opa eval` of the same bundle and input.

The document is the evaluation benchmark's synthetic input (default 10,000 packages,
5,000 vulnerabilities) and the policy its five rules. `regate check` runs with a warm
compile cache and its bytecode compiled, as in a pipeline; the bare call evaluates the
cached bundle it uses, on the same file. Both are whole processes, timed alternately; the medians are compared.
The target is the wall-clock ratio; the CPU time beside it (user + system, of each process and
the OPA it runs) varies much less on a machine shared with other work.

    python bench/check_bench.py [--packages 10000] [--runs 9]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
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


def timed(argv: list[str], env: dict) -> tuple[float, float]:
    """Wall-clock and CPU seconds (user + system, of the process and all it ran) of `argv`."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    done = subprocess.run(argv, env=env, capture_output=True, text=True)
    elapsed = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode not in (0, 1):  # 1: the synthetic image is STOPped
        raise SystemExit(f"{argv[0]} failed: {done.stderr}")
    return elapsed, after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--packages", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=9)
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
        timed(check, env)  # compiles into the cache
        bundle = json.loads(report_path.read_text())["engine"]["target"]
        bare = [opa.path, "eval", "--format", "json", "--bundle", bundle, "-i", str(input_path),
                "data.regate.decision.main"]
        ours, theirs = [], []
        for _ in range(args.runs):
            ours.append(timed(check, env))
            theirs.append(timed(bare, env))
    (a, a_cpu), (b, b_cpu) = [(statistics.median(w for w, _ in runs), statistics.median(c for _, c in runs))
                              for runs in (ours, theirs)]
    print(f"input: {args.packages} packages, {args.packages // 2} vulnerabilities; median of {args.runs} runs")
    print(f"{'regate check (warm cache)':<28}{a:>8.2f} s   CPU {a_cpu:.2f} s (regate and its OPA)")
    print(f"{'opa eval, same bundle':<28}{b:>8.2f} s   CPU {b_cpu:.2f} s")
    print(f"ratio {a / b:.2f}x (target <= {TARGET}x); CPU {a_cpu / b_cpu:.2f}x")
    report(f"regate check / opa eval, {args.packages:,} packages", f"<= {TARGET}x", f"{a / b:.2f}x", a / b <= TARGET)
    return 0 if a / b <= TARGET else 1


if __name__ == "__main__":
    sys.exit(main())
