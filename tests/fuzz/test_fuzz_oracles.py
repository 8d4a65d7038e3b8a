"""The fuzzer's own machinery: each oracle flags what it must, the sandbox
survives hangs and memory blow-ups, and cases are reproducible from
(seed, target, index). Without these, a slice with zero findings proves nothing.
"""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from fuzz import tarcraft  # noqa: E402
from fuzz.external import cli_findings, opa_strict  # noqa: E402
from fuzz.minimize import minimize  # noqa: E402
from fuzz.oracles import Outcome, check_image, check_json, check_policy, crash, unnamed_limit  # noqa: E402
from fuzz.targets import TARGETS, case_rng  # noqa: E402
from fuzz.sandbox import Sandbox  # noqa: E402

GOOD_POLICY = b'policy "p" {\n  rule r warn {\n    for v in vulnerabilities where v.severity >= high\n    message "{v.id}"\n  }\n}\n'


@pytest.mark.parametrize("target", ["policy", "json", "image"])
def test_a_case_is_the_same_bytes_for_the_same_seed_target_and_index(target):
    first = [TARGETS[target].generate(case_rng(7, target, i)).data for i in range(5)]
    again = [TARGETS[target].generate(case_rng(7, target, i)).data for i in range(5)]
    other = [TARGETS[target].generate(case_rng(8, target, i)).data for i in range(5)]
    assert first == again
    assert first != other


def test_a_valid_policy_compiles_and_its_rego_is_handed_on(tmp_path):
    outcome = check_policy(GOOD_POLICY, tmp_path)
    assert outcome.findings == [] and outcome.accepted
    assert any(path.startswith("regate/policies/") for path in outcome.modules)


def test_a_syntax_error_is_located_with_its_line(tmp_path):
    outcome = check_policy(GOOD_POLICY.replace(b"warn", b"wrn"), tmp_path)
    assert outcome.findings == [] and not outcome.accepted


def test_an_error_in_an_imported_file_is_shown_with_its_line_as_the_cli_shows_it(tmp_path):
    """Found by `fuzz/run.py --seed 7 --target policy --case 4569` (`import "/etc/passwd"`): the oracle
    rendered the diagnostic without the imported file's text, which the CLI shows."""
    (tmp_path / "other.regate").write_text("root:x:0:0:root\n")
    outcome = check_policy(b'import "other.regate"\n' + GOOD_POLICY, tmp_path)
    assert outcome.findings == [] and not outcome.accepted


def test_an_unexpected_exception_is_a_crash_with_type_and_innermost_frame():
    def inner():
        raise KeyError("x")

    try:
        inner()
    except KeyError as exc:
        finding = crash(exc)
    assert finding.kind == "crash"
    assert finding.signature == "KeyError in test_fuzz_oracles.py:inner"


@pytest.mark.parametrize("message, flagged", [
    ("more than the limit of archive members", True),
    ("JSON nested too deep", True),
    ("more than 2000000 archive members (tar bomb?)", False),
    ("is over the 536,870,912-byte limit for JSON input", False),
    ("JSON member of 17000000 bytes skipped (over the limit)", True),  # a size, not the limit
    ('unknown name "maximum"', False),  # the user's word, not regate's
    ("unexpected token", False),
])
def test_a_limit_must_be_named_by_its_value(message, flagged):
    assert (unnamed_limit(message, "t") is not None) == flagged


def test_scanner_json_and_images_are_read_as_regate_extract_reads_them(tmp_path):
    grype = (ROOT / "examples/anchore-default/inputs/busybox-1.32.1.grype.json").read_bytes()
    assert check_json(grype, tmp_path) == Outcome([], accepted=True)
    bad = check_json(b'{"matches": [', tmp_path)
    assert bad.findings == [] and not bad.accepted  # an InputError naming the file: a clear error
    image = tarcraft.Image(((tarcraft.Member("etc/", type=b"5"), tarcraft.Member("etc/passwd", b"root:x:0:0::/:/bin/sh\n")),))
    assert check_image(tarcraft.archive_bytes(image), tmp_path) == Outcome([], accepted=True)


def test_opa_strict_flags_the_case_whose_rego_it_rejects(opa):
    clean = {"regate/policies/a/policy.rego": "package regate.policies.a\n\nx := 1\n"}
    unused = {"regate/policies/a/policy.rego": "package regate.policies.a\n\nf(y) := 1\n"}
    found = opa_strict([(1, clean), (2, unused), (3, clean)])
    assert list(found) == [2]
    assert found[2][0].kind == "opa-strict" and "unused argument" in found[2][0].signature


def test_a_cli_traceback_gets_the_in_process_signature():
    stderr = ('Traceback (most recent call last):\n  File "/x/site-packages/click/core.py", line 1, in invoke\n'
              f'  File "{ROOT}/compiler/parser.py", line 9, in _number\nValueError: too many digits\n')
    done = subprocess.CompletedProcess([], 1, "", stderr)
    assert [f.signature for f in cli_findings("policy", done, policy=True)] == ["ValueError in parser.py:_number"]
    unlocated = subprocess.CompletedProcess([], 2, "", "regate: error: something\n")
    assert [f.kind for f in cli_findings("policy", unlocated, policy=True)] == ["unlocated"]


def _hang(data, workdir):
    time.sleep(60)


def _hog(data, workdir):
    try:
        hoard = [bytearray(64 << 20) for _ in range(64)]  # 4 GiB, over the 512 MiB cap below
        return Outcome([], accepted=bool(hoard))
    except MemoryError as exc:
        return Outcome([crash(exc)])


def _fine(data, workdir):
    return Outcome([], accepted=True)


def test_the_sandbox_turns_hangs_and_memory_blowups_into_findings():
    sandbox = Sandbox({"hang": _hang, "hog": _hog, "fine": _fine}, timeout=5, memory_limit=512 << 20)
    try:
        hung = sandbox.run("hang", b"")
        assert [f.kind for f in hung.findings] == ["timeout"]
        hog = sandbox.run("hog", b"")
        assert [f.signature.split(" in ")[0] for f in hog.findings] == ["MemoryError"]
        assert sandbox.run("fine", b"").accepted  # a fresh worker after each
    finally:
        sandbox.close()


def test_minimize_keeps_the_signature_and_drops_the_rest():
    source = b"\n".join(b"line %d" % i for i in range(40)) + b"\nBOOM\n"
    smaller = minimize(source, lambda data: b"BOOM" in data)
    assert smaller == b"BOOM"
