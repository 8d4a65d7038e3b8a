"""Many `allow` exceptions on one rule: what they cost OPA to load and evaluate.

For each count, one `opa eval` of the decision (OPA parses and compiles the
bundle, then evaluates it on 200 vulnerabilities, 100 of them excepted),
next to the same rule without exceptions in the same run, so the ratio
shows what the exceptions add.

    python bench/exceptions_bench.py [--counts 1000,2000,4000] [--repeat 3]
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

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from regate.bundle import write_directory  # noqa: E402
from regate.compile import compile_policies  # noqa: E402
from regate.engine.decision import QUERY  # noqa: E402
from regate.inputs import complete  # noqa: E402
from regate.opa import find_opa  # noqa: E402

VULNERABILITIES = 200


def policy(exceptions: int) -> str:
    allows = "".join(f'  allow r where v.id == "CVE-{i}" until 2099-01-01 because "bench"\n'
                     for i in range(exceptions))
    return f'policy "p" {{\n  rule r stop {{\n    for v in vulnerabilities where v.kev\n    message "m"\n  }}\n{allows}}}\n'


def document() -> dict:
    # Every other vulnerability has an exception (CVE-0, CVE-2, ... are in every count's range).
    return complete({"vulnerabilities": {f"{'CVE' if i % 2 == 0 else 'GHSA'}-{i}+deb:pkg{i}@1.0": {"kev": True}
                                         for i in range(VULNERABILITIES)}})


def eval_ms(opa, bundle: Path, text: str, repeat: int) -> tuple[float, dict]:
    samples, decision = [], None
    for _ in range(repeat):
        started = time.perf_counter()
        done = opa.run("eval", "--format", "json", "--bundle", str(bundle), "--stdin-input", QUERY,
                       input_text=text, timeout=900)
        samples.append((time.perf_counter() - started) * 1000)
        assert done.returncode == 0, done.stderr
        decision = json.loads(done.stdout)["result"][0]["expressions"][0]["value"]
    return statistics.median(samples), decision


def measure(counts: list[int], repeat: int) -> list[dict]:
    opa = find_opa()
    text = json.dumps(document())
    rows = []
    with tempfile.TemporaryDirectory() as scratch:
        for count in [0] + counts:
            source = Path(scratch) / f"p{count}.regate"
            source.write_text(policy(count))
            bundle = Path(scratch) / f"b{count}"
            write_directory(compile_policies([source], date(2026, 6, 1)), bundle)
            ms, decision = eval_ms(opa, bundle, text, repeat)
            excepted = sum(bool(f.get("exception") is not None) for f in decision["findings"])
            rows.append({"exceptions": count, "ms": ms, "findings": len(decision["findings"]), "excepted": excepted})
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--counts", default="1000,2000,4000", help="exception counts, comma-separated")
    parser.add_argument("--repeat", type=int, default=3, help="samples per count (median)")
    args = parser.parse_args(argv)
    rows = measure([int(c) for c in args.counts.split(",")], args.repeat)
    baseline = rows[0]["ms"]
    print(f"opa eval of the decision, {VULNERABILITIES} vulnerabilities; baseline: the rule without exceptions")
    print("exceptions | findings | excepted | ms | × baseline")
    print("---------- | -------- | -------- | -- | ----------")
    for row in rows:
        print(f"{row['exceptions']:,} | {row['findings']} | {row['excepted']} | {row['ms']:.0f} | "
              f"{row['ms'] / baseline:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
