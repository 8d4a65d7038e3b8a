"""Compile a generated 1,000-rule policy set; report time per stage.

Baseline in the same run: `opa check --strict` of the Rego that regate
generated (OPA's own parse + compile of the output), so the ratio shows what
regate's front end costs next to OPA's.

    python bench/compile_bench.py [--rules 1000] [--repeat 3]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from regate import checks  # noqa: E402
from regate.bundle import bundle_files, tarball, write_directory  # noqa: E402
from regate.cache import CACHE_ENV, _toolchain, compile_cached  # noqa: E402
from regate.codegen import generate_modules  # noqa: E402
from regate.compile import compile_policies  # noqa: E402
from regate.loader import load  # noqa: E402
from regate.model import collect  # noqa: E402
from regate.opa import find_opa  # noqa: E402
from summary import report  # noqa: E402

RULE_SHAPES = [
    'rule r{n} stop {{\n    for v in vulnerabilities where v.severity >= high and v.fix.available and v.package.name == "pkg{n}"\n'
    '    message "{{v.id}} in {{v.package.name}} {{v.package.version}}"\n  }}',
    'rule r{n} warn {{\n    for p in packages where p.name in denied and p.version < "{n}.0.0"\n    message "{{p.name}} {{p.version}}"\n  }}',
    'rule r{n} warn {{\n    for p in image.exposed_ports where p.port not in allowed_ports or p.port == {n}\n    message "port {{p.spec}}"\n  }}',
    'rule r{n} stop {{\n    for f in files where f.path == "/etc/conf{n}" and f.contents matches "(?m)^Enable{n}\\\\s+yes"\n    message "{{f.path}}"\n  }}',
    'rule r{n} warn {{\n    when count(v in vulnerabilities where v.severity == critical) > {n} or image.effective_user == "root"\n'
    '    message "{{count(vulnerabilities)}} vulnerabilities"\n  }}',
    'rule r{n} stop {{\n    for p in packages where any(l in p.licenses where l glob "AGPL-*") and not p.os\n    message "{{p.name}} {{p.licenses}}"\n  }}',
]


def policy_set(rules: int, per_policy: int = 50) -> str:
    parts = ['list denied = ["telnet", "rsh-server", "nmap"]', "list allowed_ports = [80, 443]", ""]
    for policy in range(rules // per_policy):
        body = []
        for i in range(per_policy):
            n = policy * per_policy + i
            body.append("  " + RULE_SHAPES[n % len(RULE_SHAPES)].format(n=n))
        vulnerability_rule = next(n for n in range(policy * per_policy, (policy + 1) * per_policy) if n % len(RULE_SHAPES) == 0)
        body.append(f'  allow r{vulnerability_rule} where v.id == "CVE-2024-{policy:04d}" until 2030-01-01 because "bench"')
        parts.append(f'policy "p{policy}" {{\n' + "\n\n".join(body) + "\n}\n")
    return "\n".join(parts)


def timed(fn, repeat: int):
    times, result = [], None
    for _ in range(repeat):
        started = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - started)
    return statistics.median(times), result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rules", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    opa = find_opa()
    with tempfile.TemporaryDirectory() as scratch:
        source = Path(scratch) / "set.regate"
        source.write_text(policy_set(args.rules))
        today = date(2026, 1, 1)
        parse_s, program = timed(lambda: load([source]), args.repeat)
        check_s, checked = timed(lambda: checks.run_passes(collect(program, today)), args.repeat)
        codegen_s, _ = timed(lambda: generate_modules(checked[0]), args.repeat)
        total_s, compiled = timed(lambda: compile_policies([source], today), args.repeat)
        bundle_s, _ = timed(lambda: tarball(bundle_files(compiled)), args.repeat)
        os.environ[CACHE_ENV] = str(Path(scratch) / "cache")
        compile_cached([source], today, opa.version)  # the miss that fills the cache
        # As in a new `regate check` process: the hash of regate's own code is computed again.
        hit_s, hit = timed(lambda: _toolchain.cache_clear() or compile_cached([source], today, opa.version),
                           args.repeat)
        assert hit.cached
        out = Path(scratch) / "bundle"
        write_directory(compiled, out)
        opa_s, ran = timed(lambda: opa.run("check", "--strict", "-b", str(out)), args.repeat)
        assert ran.returncode == 0, ran.stdout + ran.stderr
        lines = sum(c.count(b"\n") for n, c in compiled.files.items() if n.startswith("regate/policies/"))
    rules = sum(len(p.rules) for p in compiled.policy_set.policies)
    source_lines = len(policy_set(args.rules).splitlines())
    print(f"policy set: {rules} rules in {len(compiled.policy_set.policies)} policies, "
          f"{source_lines} source lines -> {lines} lines of generated Rego")
    print(f"{'stage':<34}{'median s':>10}")
    for name, seconds in (("parse (lark LALR + AST)", parse_s), ("checks (names, types, linearity)", check_s),
                          ("code generation", codegen_s), ("compile total (regate compile)", total_s),
                          ("bundle (tar.gz)", bundle_s), ("cache hit (regate check)", hit_s),
                          ("baseline: opa check --strict", opa_s)):
        print(f"{name:<34}{seconds:>10.3f}")
    print(f"ratio regate compile + bundle / opa check --strict: {(total_s + bundle_s) / opa_s:.2f}x")
    print(f"per rule: {1000 * (total_s + bundle_s) / rules:.2f} ms")
    if rules == 1000:  # the issue-12 targets are for 1,000 rules
        report("compile + bundle, 1,000 rules", "< 2 s", f"{total_s + bundle_s:.2f} s", total_s + bundle_s < 2)
        report("cache hit, 1,000 rules", "< 50 ms", f"{1000 * hit_s:.1f} ms", hit_s < 0.05)


if __name__ == "__main__":
    main()
