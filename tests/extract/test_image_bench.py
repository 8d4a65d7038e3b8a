"""The image benchmark runs end to end (at a tiny size) and prints its figures."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_image_bench_prints_time_and_memory():
    done = subprocess.run([sys.executable, str(ROOT / "bench" / "image_bench.py"), "--size-mb", "3", "--runs", "1"],
                          check=True, capture_output=True, text=True, timeout=300)
    figures = dict(line.split(":", 1) for line in done.stdout.splitlines())
    assert re.match(r"\s+[\d.]+ s best of 1", figures["extraction time"])
    assert re.match(r"\s+[\d.,]+ MB \(Python with regate imported", figures["peak RSS"])
    # One planted key per 997 small files; 3 MB holds a few thousand.
    assert int(figures["secrets found"].replace(",", "")) >= 1
