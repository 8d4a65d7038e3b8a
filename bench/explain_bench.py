"""`regate check --explain` next to the plain `regate check` of the same document.

    python bench/explain_bench.py                    # 10,000 packages / 5,000 vulnerabilities
    python bench/explain_bench.py --packages 2000 --repeat 1

A synthetic document (Debian packages, a vulnerability on every second one,
most of them fixable, a few without a fix or
with two, a root user and a denied package)
is checked with the production example's policy through the CLI engine, both
ways, in alternating runs, median of --repeat runs each, in this one run; the
ratio is what explaining costs on top of the check (target: ≤ 2×). regate runs
with its bytecode compiled, as installed (as in check_bench.py). The CPU time
(user + system, of regate and the OPA it runs) is printed beside the
wall-clock time: on a machine shared with other work it varies much less.

Figures of the fastexplain round (2 cores shared with three other benchmarking
sessions, load average 5-9; six runs of this bench, each alternating with one
on the code before the round): 1.75-2.48x wall-clock, 1.83-2.18x CPU (explain
1.28-1.50 s of CPU); before, 2.44-3.35x wall-clock, 2.21-2.69x CPU (1.40-1.74 s).
The patch applied without jsonpatch (~120-180 -> ~30-40 ms of CPU) and the
upgrades' opa eval running while the image-wide trials are evaluated make the
difference. What remains is mostly OPA: the proof's evaluation of the whole
patched document (~0.2-0.3 s of CPU, as much as the check's own), the upgrades
(~0.15 s) and three trials (~0.035 s each, plus ~10 ms each to fork regate).
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

ROOT = Path(__file__).resolve().parent.parent


def synthetic_input(packages: int) -> dict:
    severities = ["critical", "high", "medium", "low"]
    doc = {"schema_version": 1, "now": "2026-06-01T00:00:00Z", "changes": [], "baseline": None, "sources": [],
           "image": {"reference": "registry.example.com/prod/bench:1", "effective_user": "root",
                     "exposed_ports": {}, "layers": []},
           "packages": {}, "vulnerabilities": {}, "files": {}, "secrets": {}, "users": {}, "misconfigurations": {}}
    keys = []
    for i in range(packages):
        name, version = f"pkg{i}", f"1.{i % 7}.{i % 13}-1"
        keys.append(f"deb:{name}@{version}")
        doc["packages"][keys[-1]] = {"key": keys[-1], "name": name, "version": version, "type": "deb", "os": True,
                                     "licenses": ["MIT"]}
    for k in range(packages // 2):
        # One vulnerability on every second package; every eighth goes to the previous one's package,
        # fixed in a later version, so that package's upgrade must reach the higher fix.
        second = k % 8 == 7
        package = doc["packages"][keys[2 * (k - 1) if second else 2 * k]]
        fixed = k % 50 != 0
        vkey = f"CVE-2024-{100000 + k}+{package['key']}"
        doc["vulnerabilities"][vkey] = {
            "key": vkey, "id": f"CVE-2024-{100000 + k}", "severity": severities[k % 4],
            "fix": {"state": "fixed" if fixed else "not-fixed", "available": fixed,
                    "versions": [package["version"][:-1] + ("3" if second else "2")] if fixed else []},
            "package": {key: package[key] for key in ("key", "name", "version", "type", "os")},
            "published": "2025-01-01T00:00:00Z"}
    doc["packages"]["deb:telnet@0.17-1"] = {"key": "deb:telnet@0.17-1", "name": "telnet", "version": "0.17-1",
                                             "type": "deb", "os": True, "licenses": []}
    return doc


# As installed (pip compiles a package's bytecode), as in check_bench.py: without its .pyc files each
# run would compile regate's modules again, whatever PYTHONDONTWRITEBYTECODE says.
ENV = {name: value for name, value in os.environ.items() if name != "PYTHONDONTWRITEBYTECODE"}


def timed(args: list[str]) -> tuple[float, float, int]:
    """(wall-clock seconds, CPU seconds of regate and the OPA it ran, exit status) of one run."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    code = subprocess.run(args, stdout=subprocess.DEVNULL, cwd=ROOT, env=ENV).returncode
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime, code


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--packages", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=3)
    options = parser.parse_args()
    document = synthetic_input(options.packages)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "input.json"
        path.write_text(json.dumps(document))
        regate = [sys.executable, "-m", "regate", "check", "--policy", "examples/production", "--format", "json",
                  "--fail-on", "warn", str(path)]
        subprocess.run(regate, stdout=subprocess.DEVNULL, cwd=ROOT, env=ENV)  # fills the compile cache for both
        # Alternated, so that a change in the machine's load falls on both.
        runs = [(timed(regate), timed(regate + ["--explain"])) for _ in range(options.repeat)]
        (plain, plain_cpu, plain_code), (explained, cpu, code) = \
            [tuple(statistics.median(run[side][i] for run in runs) for i in range(3)) for side in (0, 1)]
        explained_run = subprocess.run(regate + ["--explain"], capture_output=True, text=True, cwd=ROOT, env=ENV)
        report = json.loads(explained_run.stdout)
    explanation = report["results"][0]["explanation"]
    print(f"document: {len(document['packages']):,} packages, {len(document['vulnerabilities']):,} vulnerabilities")
    print(f"plan: {len(explanation['plan']):,} changes, {len(explanation['patch']):,} patch operations; "
          f"proof {explanation['proof']['final_action']}, {len(explanation['proof']['remaining'])} remaining")
    print(f"regate check            {plain:7.2f} s (exit {plain_code:.0f}), CPU {plain_cpu:.2f} s")
    print(f"regate check --explain  {explained:7.2f} s (exit {code:.0f}), CPU {cpu:.2f} s")
    ratio = explained / plain
    print(f"ratio                   {ratio:7.2f}×  (target ≤ 2×; CPU {cpu / plain_cpu:.2f}×)")
    return 0 if ratio <= 2 else 1


if __name__ == "__main__":
    sys.exit(main())
