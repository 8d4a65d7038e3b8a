"""Generated Rego stays linear in the size of the input.

Measured in OPA's own evaluation counts (`opa eval --profile`), which are
exact and repeatable, not in seconds: doubling the input at most doubles the
work, and a 100-times longer denylist or exception list changes nothing,
because membership is a set lookup, never a scan per element.
"""

from __future__ import annotations

import json
import shutil
from datetime import date

from regate.bundle import write_directory
from regate.compile import compile_policies
from regate.inputs import complete

POLICY = """
list denied from "denied.yaml"
list accepted from "accepted.yaml"
list allowed_ports = [80, 443]

policy "p" {
  rule denied_package stop {
    for p in packages where p.name in denied or p.name + "@" + p.version in denied
    message "{p.name} {p.version}"
  }
  rule critical stop {
    for v in vulnerabilities where v.severity >= critical and v.fix.available
    message "{v.id} in {v.package.name}"
  }
  rule license warn {
    for p in packages where any(l in p.licenses where l glob "AGPL-*")
    message "{p.name}"
  }
  rule passwd stop {
    for f in files where f.path == "/etc/passwd" and f.contents matches "(?m)^toor:"
    message "{f.path}"
  }
  rule too_many warn {
    when count(v in vulnerabilities where v.severity == high) > 5
    message "many"
  }
  allow critical where v.id in accepted
}
"""


def _document(size: int) -> dict:
    packages = {f"deb:lib{i}@1.{i}": {"licenses": ["AGPL-3.0-only" if i % 50 == 0 else "MIT"]} for i in range(size)}
    vulnerabilities = {f"CVE-2024-{i:05d}+deb:lib{i}@1.{i}": {
        "severity": ["critical", "high", "low"][i % 3], "fix": {"state": "fixed", "versions": ["2.0"]}}
        for i in range(size // 2)}
    files = {f"/usr/share/doc/f{i}": {} for i in range(size)}
    files["/etc/passwd"] = {"contents": "root:x:0:0::/root:/bin/sh\ntoor:x:0:0::/root:/bin/sh\n"}
    return complete({"packages": packages, "vulnerabilities": vulnerabilities, "files": files,
                     "now": "2026-01-01T00:00:00Z"})


def _evaluations(opa, tmp_path, size: int, list_size: int, query: str = "data.regate.decision.main") -> int:
    source = tmp_path / f"src-{size}-{list_size}-{len(query)}"
    source.mkdir()
    (source / "p.regate").write_text(POLICY)
    (source / "denied.yaml").write_text(json.dumps([f"denied{i}" for i in range(list_size)] + ["lib7"]))
    (source / "accepted.yaml").write_text(json.dumps([f"CVE-1999-{i:05d}" for i in range(list_size)]))
    bundle = tmp_path / f"bundle-{size}-{list_size}"
    if bundle.exists():
        shutil.rmtree(bundle)
    write_directory(compile_policies([source], date(2026, 1, 1)), bundle)
    document = tmp_path / f"input-{size}.json"
    document.write_text(json.dumps(_document(size)))
    ran = opa.run("eval", "--profile", "--profile-limit", "100000", "--format", "json", "-b", str(bundle),
                  "-i", str(document), query)
    assert ran.returncode == 0, ran.stderr
    result = json.loads(ran.stdout)
    assert result["result"][0]["expressions"][0]["value"]
    return sum(entry["num_eval"] for entry in result["profile"])


def test_work_grows_linearly_with_the_input(opa, tmp_path):
    small = _evaluations(opa, tmp_path, 1000, 10)
    large = _evaluations(opa, tmp_path, 4000, 10)
    assert large <= 4.4 * small, (small, large)


def test_list_length_does_not_multiply_the_work(opa, tmp_path):
    short = _evaluations(opa, tmp_path, 1000, 10)
    long = _evaluations(opa, tmp_path, 1000, 1000)
    assert long <= 1.05 * short, (short, long)
    # Membership is tested against sets built once per query, not the lists themselves.
    generated = (tmp_path / "bundle-1000-1000" / "regate" / "policies" / "p" / "policy.rego").read_text()
    assert "p.name in data.regate.sets.denied" in generated and "v.id in data.regate.sets.accepted" in generated
    assert "data.regate.lists." not in generated
    sets = (tmp_path / "bundle-1000-1000" / "regate" / "sets" / "sets.rego").read_text()
    assert "denied := {x | some x in data.regate.lists.denied}" in sets


def test_a_condition_on_the_key_is_a_lookup(opa, tmp_path):
    """`f.path == "/etc/passwd"` reads one entry instead of scanning 4,000 files."""
    query = "data.regate.policies.p.passwd"
    small = _evaluations(opa, tmp_path, 1000, 10, query)
    large = _evaluations(opa, tmp_path, 4000, 10, query)
    assert small == large, (small, large)
    generated = (tmp_path / "bundle-4000-10" / "regate" / "policies" / "p" / "policy.rego").read_text()
    assert 'f := input.files[key]' in generated
