"""Run every benchmark in turn and print its figures (`make bench`).

Each benchmark measures its own baseline in the same run; none of them is
part of the test suite (tests never assert wall-clock times).
"""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
BENCHMARKS = [
    ("compile: a 1,000-rule policy set", "compile_bench.py"),
    ("evaluation: generated vs expert Rego, 10,000 packages / 5,000 vulnerabilities", "rego_bench.py"),
    ("evaluation: 1,000 to 4,000 exceptions on one rule", "exceptions_bench.py"),
    ("regate test: 200 rules, 1,000 cases", "test_bench.py"),
    ("extraction: real-world files and a synthetic 10,000-package report", "extract_bench.py"),
    ("extraction: a ~200 MB image archive", "image_bench.py"),
    ("evaluation engines: CLI and managed server, latency and throughput", "eval_bench.py"),
    ("check --explain next to the plain check, 10,000 packages / 5,000 vulnerabilities", "explain_bench.py"),
    ("batch evaluation: 1,000 documents on pools of 1, 2 and 4 servers vs opa eval", "fleet_bench.py"),
]


def main() -> int:
    failed = []
    for title, script in BENCHMARKS:
        print(f"\n== {title} ({script})", flush=True)
        started = time.perf_counter()
        code = subprocess.call([sys.executable, str(HERE / script)])
        print(f"-- {script}: {time.perf_counter() - started:.0f}s, exit {code}", flush=True)
        if code:
            failed.append(script)
    if failed:
        print(f"\nfailed: {', '.join(failed)}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
