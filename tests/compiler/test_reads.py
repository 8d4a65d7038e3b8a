"""What each rule reads (`reads` in the bundle's data.json), from the schema's
x-regate-data and x-regate-partial marks: the decision reports a rule whose
data is missing as unavailable, so these must be neither too few nor too many."""

from __future__ import annotations

import json
from datetime import date

import pytest
import yaml

from regate.compile import compile_policies

CASES = yaml.safe_load("""
- {rule: 'for p in packages where p.name == "telnet"', data: [packages]}
- {rule: 'for v in vulnerabilities where days_since(v.published) > 30',
   data: [vulnerabilities], fields: [vulnerabilities.published]}
- {rule: 'for v in vulnerabilities where v.severity >= high and v.package.name == "a"', data: [vulnerabilities]}
- {rule: 'for f in files where f.path == "/etc/x" and f.contents matches "y"', data: [file_contents, files]}
- {rule: 'for f in files where f.setuid', data: [files]}
- {rule: 'when image.effective_user == "root"', data: [image_config]}
- {rule: 'when image.reference glob "registry.example.com/*"', data: []}
- {rule: 'when image.distro.name == "debian"', data: []}
- {rule: 'for l in image.layers where l.size > 100MB', data: [image_config]}
- {rule: 'when count(p in packages where p.name == "a") > 0', data: [packages]}
- {rule: 'when any(v in vulnerabilities where v.modified > 2020-01-01)',
   data: [vulnerabilities], fields: [vulnerabilities.modified]}
- {rule: 'for v in vulnerabilities where v.kev or v.epss.score > 0.5',
   data: [vulnerabilities], fields: [vulnerabilities.epss, vulnerabilities.kev]}
- {rule: 'for c in changes where c.op == "add"', data: [baseline]}
- {rule: 'for s in sources where days_since(s.data_built) > 2', data: []}
- {rule: 'for u in users where u.uid == 0 and u.name != "root"', data: [users]}
- {rule: 'when image.env["DEBUG"].value == "1" or count(secrets) > 0', data: [image_config, secrets]}
- {rule: 'for p in image.exposed_ports where p.port == 22',
   message: '{count(packages)} packages, {count(secrets)} secrets', data: [image_config]}
""")


@pytest.fixture(scope="module")
def reads(tmp_path_factory) -> list[dict]:
    folder = tmp_path_factory.mktemp("reads")
    rules = "\n".join(f'  rule r{i} warn {{\n    {c["rule"]}\n    message "{c.get("message", "x")}"\n  }}'
                      for i, c in enumerate(CASES))
    (folder / "p.regate").write_text(f'policy "p" {{\n{rules}\n}}\n')
    config = json.loads(compile_policies([folder], date(2026, 1, 1)).files["data.json"])["regate"]["config"]
    return [config["policies"]["p"]["rules"][f"r{i}"]["reads"] for i in range(len(CASES))]


@pytest.mark.parametrize("index", range(len(CASES)), ids=[c["rule"] for c in CASES])
def test_a_rule_reads_what_its_conditions_reach(reads, index):
    case = CASES[index]
    assert reads[index] == {"data": case["data"], "fields": case.get("fields", [])}
