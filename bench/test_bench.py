"""`regate test` on a policy set with 200 rules and 1,000 test cases.

Reports the end-to-end time of the CLI and, measured in the same run, where it
goes: compiling, reading the test file, building inputs and Rego tests, and
`opa test` itself (the baseline: what running the same tests in OPA costs).

    python bench/test_bench.py [--rules 200] [--cases 1000]
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import yaml  # noqa: E402
from compile_bench import RULE_SHAPES, policy_set  # noqa: E402

from regate.bundle import write_directory  # noqa: E402
from regate.compile import compile_policies  # noqa: E402
from regate.opa import find_opa  # noqa: E402
from regate.testing.fixtures import Fixtures  # noqa: E402
from regate.testing.generate import LIBRARY  # noqa: E402
from regate.testing.runner import _write_tests  # noqa: E402
from regate.testing.spec import load_test_file  # noqa: E402


def cases(rules: int, count: int) -> dict:
    out = []
    for i in range(count):
        n = i % rules
        shape = n % len(RULE_SHAPES)
        if shape == 0:  # vulnerability rule rN on package pkgN
            case_input = {"vulnerabilities": {f"CVE-2025-{i:05d}+deb:pkg{n}@1.0": {
                "severity": "critical", "fix": {"state": "fixed", "versions": ["1.1"]}}}}
            expect = {"rules": {f"r{n}": "FAIL"}, "counts": {f"r{n}": 1}}
        elif shape == 1:
            case_input = {"packages": {f"deb:telnet@{n}.0.1": {}}}
            expect = {"rules": {f"r{n}": "PASS"}}
        else:
            case_input = {"image": {"user": "app"}}
            expect = {"rules": {f"r{n}": "PASS" if shape != 2 else "PASS"}}
        out.append({"name": f"case {i} for rule r{n}", "input": case_input, "expect": expect})
    return {"now": "2026-06-01T00:00:00Z", "cases": out}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rules", type=int, default=200)
    parser.add_argument("--cases", type=int, default=1000)
    args = parser.parse_args()
    opa = find_opa()
    with tempfile.TemporaryDirectory() as scratch_name:
        scratch = Path(scratch_name)
        root = scratch / "set"
        root.mkdir()
        (root / "set.regate").write_text(policy_set(args.rules, per_policy=50))
        (root / "set_test.yaml").write_text(yaml.safe_dump(cases(args.rules, args.cases), sort_keys=False))

        started = time.perf_counter()
        ran = subprocess.run([sys.executable, "-m", "regate", "test", str(root)], capture_output=True, text=True)
        total = time.perf_counter() - started
        summary = ran.stdout.strip().splitlines()[-1] if ran.stdout else ran.stderr.strip()

        t0 = time.perf_counter()
        compiled = compile_policies([root], library=(LIBRARY,))  # as run_set: the tests call the testing library
        t1 = time.perf_counter()
        test_file = load_test_file(root / "set_test.yaml", "set_test.yaml", compiled.policy_set)
        t2 = time.perf_counter()
        bundle, tests = scratch / "bundle", scratch / "tests"
        write_directory(compiled, bundle)
        _write_tests([test_file], None, Fixtures(), tests)
        t3 = time.perf_counter()
        opa_run = opa.run("test", "--format", "json", str(bundle), str(tests), timeout=3600)
        t4 = time.perf_counter()
        assert opa_run.returncode in (0, 2), opa_run.stderr
    print(f"policy set: {args.rules} rules; {args.cases} test cases -> {summary}")
    print(f"{'phase':<36}{'seconds':>9}")
    for label, seconds in (("regate test, end to end (CLI)", total), ("  compile", t1 - t0),
                           ("  read + check the test file", t2 - t1), ("  inputs, Rego tests, bundle", t3 - t2),
                           ("  baseline: opa test of the same", t4 - t3)):
        print(f"{label:<36}{seconds:>9.2f}")
    print(f"regate's own share: {(total - (t4 - t3)) / total:.0%}; per case: {1000 * total / args.cases:.1f} ms")


if __name__ == "__main__":
    main()
