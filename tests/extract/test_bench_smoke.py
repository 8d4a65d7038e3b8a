"""The extraction benchmark runs (tiny synthetic sizes, one run) and prints its table."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

BENCH = Path(__file__).resolve().parents[2] / "bench" / "extract_bench.py"


def test_extract_bench_runs():
    done = subprocess.run([sys.executable, str(BENCH), "--runs", "1", "--packages", "20", "--vulnerabilities", "10"],
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr
    rows = {line[:62].strip(): line[62:].split() for line in done.stdout.splitlines()[3:]
            if not line.startswith("@summary")}  # the line bench/run.py gathers
    # columns after the name: MB, packages, vulnerabilities, median s, min s, CPU s, Python peak MB, RSS MB
    assert rows["synthetic Grype (20 packages, 10 CVEs)"][1:3] == ["20", "20"]  # each CVE affects two packages
    assert rows["synthetic SBOM + Grype, merged"][1:3] == ["20", "20"]
    assert rows["grype/defectdojo_python-3.6_grype-0.7.0_1509matches.json"][1:3] == ["178", "1509"]
    assert all(float(row[3]) > 0 and float(row[6]) > 0 for row in rows.values())
