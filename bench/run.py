"""Run every benchmark in turn and print its figures (`make bench`), then one
table of every target against what was measured (lines a benchmark prints
through `summary.report`).

Each benchmark measures its own baseline in the same run; none of them is
part of the test suite (tests never assert wall-clock times).
"""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

from summary import parse

HERE = Path(__file__).resolve().parent
BENCHMARKS = [
    ("compile: a 1,000-rule policy set", "compile_bench.py"),
    ("evaluation: generated vs expert Rego, same decision, 1k/10k/100k packages", "rego_bench.py"),
    ("evaluation: 1,000 to 4,000 exceptions on one rule", "exceptions_bench.py"),
    ("regate check of a prepared document next to the bare opa eval", "check_bench.py"),
    ("regate test: 200 rules, 1,000 cases", "test_bench.py"),
    ("extraction: real-world files and a synthetic 10,000-package report", "extract_bench.py"),
    ("extraction: a ~200 MB image archive", "image_bench.py"),
    ("evaluation engines: CLI and managed server, latency and throughput", "eval_bench.py"),
    ("check --explain next to the plain check, 10,000 packages / 5,000 vulnerabilities", "explain_bench.py"),
    ("batch evaluation: 1,000 documents on pools of 1, 2 and 4 servers vs opa eval", "fleet_bench.py"),
]


def run(script: str) -> tuple[int, list[dict]]:
    """Runs one benchmark, passing its output through; returns its exit status and summary entries."""
    entries = []
    with subprocess.Popen([sys.executable, str(HERE / script)], stdout=subprocess.PIPE, text=True) as process:
        for line in process.stdout:
            entry = parse(line)
            if entry is None:
                print(line, end="", flush=True)
            else:
                entries.append(entry)
    return process.returncode, entries


def table(rows: list[tuple[str, dict]]) -> str:
    mark = {True: "ok", False: "MISSED", None: ""}
    width = max([len(f"{script}: {e['measure']}") for script, e in rows] + [20])
    lines = [f"{'benchmark':<{width}}  {'target':>14}  {'measured':>14}  result"]
    lines += [f"{script + ': ' + e['measure']:<{width}}  {e['target']:>14}  {e['measured']:>14}  {mark[e['ok']]}"
              for script, e in rows]
    return "\n".join(lines)


def main() -> int:
    failed, rows = [], []
    for title, script in BENCHMARKS:
        print(f"\n== {title} ({script})", flush=True)
        started = time.perf_counter()
        code, entries = run(script)
        print(f"-- {script}: {time.perf_counter() - started:.0f}s, exit {code}", flush=True)
        rows += [(script.removesuffix(".py"), entry) for entry in entries]
        if code:
            failed.append(script)
    print("\n== summary\n" + table(rows))
    if failed:
        print(f"\nfailed (or missed a target): {', '.join(failed)}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
