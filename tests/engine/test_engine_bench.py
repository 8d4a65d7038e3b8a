"""The evaluation benchmark runs (at a tiny size: measuring is not the test's job)."""

from __future__ import annotations

import json
import subprocess
import sys

from engine.gatehelpers import ROOT


def test_eval_bench_smoke(opa):
    done = subprocess.run([sys.executable, str(ROOT / "bench" / "eval_bench.py"), "--sizes", "20,200", "--repeat", "1",
                           "--requests", "2", "--json"], capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr
    rows = json.loads(done.stdout)["rows"]
    assert [(r["packages"], r["vulnerabilities"]) for r in rows] == [(20, 2), (200, 20)]
    assert all(r["server_per_s"] > 0 and r["cli_trivial_ms"] > 0 for r in rows)


def test_fleet_bench_smoke(opa):
    done = subprocess.run([sys.executable, str(ROOT / "bench" / "fleet_bench.py"), "--documents", "6", "--packages", "20",
                           "--sample", "3", "--workers", "1,2", "--json"], capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr
    rows = json.loads(done.stdout)["rows"]
    assert [(r["servers"], r["documents"]) for r in rows] == [(0, 3), (1, 3), (1, 6), (2, 6), (1, 6)]
    assert rows[0]["vs_cli"] == 1 and all(r["per_second"] > 0 for r in rows)
