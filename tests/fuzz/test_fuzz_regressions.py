"""Findings of the fuzzer beyond the shared reproducers (tests/fixtures/fuzz/README.md), each
through the real CLI: a clear error that names what it refuses, never a traceback."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "fuzz"

CASES = [
    (["extract", "json_lone_surrogate.json"], 2, "a string at /os holds half of a UTF-16 surrogate pair"),
    (["extract", "json_number_overflows_to_infinity.json"], 2, "the number 1e999 is out of range"),
    (["extract", "--no-syft", "image_json_member_over_limit.tar.gz"], 0,
     "JSON member of 16,777,218 bytes skipped (over the 16,777,216-byte limit)"),
    (["lint", "policy_eof_line_after_formfeed.regate.case"], 2,
     "policy_eof_line_after_formfeed.regate.case:2:16: error[E001]: unexpected end of file"),
    (["lint", "policy_message_control_chars.regate.case"], 2, 'unknown policy "\\u001b[31mred\\u000a\\u0009injected"'),
    (["lint", "policy_data_file_name_too_long.regate.case"], 2, "is longer than the system allows (255 bytes a name"),
]


@pytest.mark.parametrize("args, code, said", CASES, ids=[c[0][-1] for c in CASES])
def test_fuzz_finding_is_a_clear_outcome(args, code, said):
    result = subprocess.run([sys.executable, "-m", "regate", *args], capture_output=True, text=True, cwd=FIXTURES,
                            stdin=subprocess.DEVNULL)
    assert result.returncode == code, result.stderr
    assert "Traceback" not in result.stderr and "\x1b" not in result.stderr
    assert said in result.stderr
