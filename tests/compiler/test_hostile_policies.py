"""Hostile policy input: a located error with exit code 2, never a traceback, a hang,
or a bundle OPA rejects. `tests/fixtures/hostile/cases.yaml` holds the reproducers
of issue #8; the tests below it cover the rest of each class."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from regate.inputs import complete

HOSTILE = Path(__file__).resolve().parents[1] / "fixtures" / "hostile"
CASES = yaml.safe_load((HOSTILE / "cases.yaml").read_text(encoding="utf-8"))
QUERY = "data.regate.decision.main"


def regate(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    result = subprocess.run([sys.executable, "-m", "regate", *args], capture_output=True, text=True, cwd=cwd,
                            timeout=120)
    assert "Traceback" not in result.stderr, result.stderr
    return result


def compiled_cleanly(opa, source: Path, out: Path) -> Path:
    result = regate("compile", source.name, "-o", str(out), "--format", "dir", cwd=source.parent)
    assert result.returncode == 0, result.stderr
    check = opa.run("check", "--strict", "-b", str(out))
    assert check.returncode == 0, check.stdout + check.stderr
    fmt = opa.run("fmt", "--list", str(out))
    assert fmt.returncode == 0 and fmt.stdout == "", f"not opa fmt clean: {fmt.stdout}"
    return out


def decide(opa, bundle: Path, document: dict) -> dict:
    result = opa.run("eval", "--format", "json", "-b", str(bundle), "--stdin-input", QUERY,
                     input_text=json.dumps(complete(document)))
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)["result"][0]["expressions"][0]["value"]


@pytest.mark.parametrize("name", sorted(CASES))
def test_reproducer(name, opa, tmp_path):
    case = CASES[name]
    if case.get("compiles"):
        compiled_cleanly(opa, HOSTILE / f"{name}.regate", tmp_path / "bundle")
        return
    result = regate("compile", f"{name}.regate", "-o", str(tmp_path / "out.tar.gz"), cwd=HOSTILE)
    assert result.returncode == 2
    # Nothing (no RE2 log line, no warning) comes before the diagnostic.
    assert result.stderr.startswith(f"{name}.regate:{case['error']}"), result.stderr
    assert case["says"] in result.stderr
    assert not (tmp_path / "out.tar.gz").exists()


# Every kind of character OPA's Rego or YAML parsers trip over, a surrogate pair, and NUL.
WEIRD_SOURCE = r"a\u0000\u0001\u001f\u007f\u0080\u0085\u009f\u00a0\u2028\u2029\ufeff\ufffe\uffff\uD83D\uDE00z"
WEIRD = "a\x00\x01\x1f\x7f\x80\x85\x9f\xa0\u2028\u2029\ufeff\ufffe\uffff\U0001F600z"


def test_any_character_in_any_string_reaches_opa_intact(opa, tmp_path):
    w = f'"{WEIRD_SOURCE}"'
    (tmp_path / "p.regate").write_text(
        f"policy {w} {{\n  title {w}\n  description {w}\n"
        f"  rule r stop {{\n    title {w}\n    description {w}\n    remediation {w}\n    link {w}\n"
        f"    when image.user == {w}\n    message {w}\n  }}\n"
        f"  rule q warn {{\n    for f in files where f.path == {w}\n    message {w}\n  }}\n"
        f"  allow q because {w}\n}}\n", encoding="utf-8")
    bundle = compiled_cleanly(opa, tmp_path / "p.regate", tmp_path / "bundle")
    inspected = opa.run("inspect", "--annotations", "--format", "json", str(bundle))
    assert inspected.returncode == 0, inspected.stderr
    annotations = [a["annotations"] for a in json.loads(inspected.stdout)["annotations"]]
    assert [a["custom"]["policy"] for a in annotations if "policy" in a.get("custom", {})] == [WEIRD]
    assert sum(a.get("title") == WEIRD and a.get("description") == WEIRD for a in annotations) == 2
    decision = decide(opa, bundle, {"image": {"user": WEIRD}, "files": {WEIRD: {}}})
    found = {f["rule"]: f for f in decision["findings"]}
    assert found["r"]["message"] == WEIRD and found["r"]["policy"] == WEIRD
    assert found["q"]["key"] == WEIRD and found["q"]["exception"]["reason"] == WEIRD


NUMBERS = [
    ("999999999999999999", True), ("-99999999999999999.5", True), ("999999TB", True), ("0.5KiB", True),
    ("0o6777777777777777777", True), ("0" * 5000 + "1", True), ("0." + "1" * 5000, True),
    ("1000000000000000000", False), ("-1000000000000000000", False), ("1000000TB", False),
    ("1000000000000000000.0", False), ("0o77777777777777777777", False), ("9" * 5000 + "TB", False),
]


@pytest.mark.parametrize("literal, valid", NUMBERS, ids=[n[0][:24] for n in NUMBERS])
def test_numbers_are_limited_to_18_digits(literal, valid, tmp_path):
    (tmp_path / "p.regate").write_text(f'param n = {literal}\npolicy "p" {{ rule r warn {{ '
                                       'for v in vulnerabilities where v.risk > n message "m" } }\n')
    result = regate("lint", "p.regate", cwd=tmp_path)
    if valid:
        assert result.returncode == 0, result.stderr
    else:
        assert result.returncode == 2
        assert result.stderr.startswith("p.regate:1:11: error[E007]: number out of range: "
                                        "numbers are limited to 18 digits"), result.stderr


def test_a_surrogate_pair_is_one_character_and_a_lone_half_an_error(tmp_path):
    (tmp_path / "p.regate").write_text(
        'policy "p" {\n  rule r warn {\n    when image.user == "\\uD83D\\uDE00"\n'
        '    message "{image.user == \\"\\uDE00\\"}"\n  }\n}\n')
    result = regate("lint", "p.regate", cwd=tmp_path)
    assert result.returncode == 2
    # Only the lone half inside the message's interpolation is an error.
    # The lone half is reported in the message's text and in its interpolation, not in the pair.
    assert result.stderr.startswith("p.regate:4:13: error[E008]: \\uDE00 is half of a UTF-16 surrogate pair")
    assert "p.regate:4:30: error[E008]: \\uDE00 is half" in result.stderr and "2 errors" in result.stderr


DATA_FILES = [
    ("inf.yaml", "- 1\n- .inf\n", "inf.yaml at /1: inf is not a number JSON can hold"),
    ("nan.json", "[1, NaN]", "nan.json at /1: nan is not a number JSON can hold"),
    ("big.json", "[" + "9" * 5000 + "]", "big.json holds a value that cannot be read: numbers are limited to 18 digits"),
    ("big.yaml", "- " + "9" * 5000 + "\n", "big.yaml holds a value that cannot be read: numbers are limited to 18 digits"),
    ("edge.json", '[{"a/b": [1000000000000000000]}]', "edge.json at /0/a~1b/0: number out of range: numbers are limited to 18 digits"),
    ("dates.yaml", "- 2024-01-01\n", "dates.yaml at /0: a YAML date is not plain data; quote it to make it a string"),
    ("keys.yaml", "- {80: http}\n", "keys.yaml at /0: key 80 is not a string; quote it"),
    ("deep.json", "[" * 100_000 + "]" * 100_000, "deep.json nests too deeply to be read"),
    ("half.yaml", '- "\\uD800"\n', "half.yaml at /0: a string holds half of a UTF-16 surrogate pair"),
]


@pytest.mark.parametrize("name, content, says", DATA_FILES, ids=[d[0] for d in DATA_FILES])
def test_data_files_hold_only_plain_json_values(name, content, says, tmp_path):
    (tmp_path / name).write_text(content, encoding="utf-8")
    (tmp_path / "p.regate").write_text(f'list l from "{name}"\n'
                                       'policy "p" { rule r warn { for v in vulnerabilities where v.id in l message "m" } }\n')
    result = regate("lint", "p.regate", cwd=tmp_path)
    assert result.returncode == 2
    assert result.stderr.startswith(f"p.regate:1:13: error[E104]: {says}\n"), result.stderr


def test_a_byte_order_mark_starts_a_data_file_or_policy_file_harmlessly(tmp_path):
    (tmp_path / "l.json").write_bytes(b'\xef\xbb\xbf["CVE-1"]')
    (tmp_path / "p.regate").write_bytes(
        b'\xef\xbb\xbfparam n from "l.json" key "k"\npolicy "p" { rule r warn { when image.user == "x" message "m" } }\n')
    result = regate("lint", "p.regate", cwd=tmp_path)
    assert result.returncode == 2
    # The data file was read (it holds a list, not the key), and columns do not count the mark.
    assert result.stderr.startswith('p.regate:1:14: error[E104]: l.json has no key "k"'), result.stderr
    shown, caret = result.stderr.splitlines()[1:3]
    assert caret.index("^") == shown.index('"l.json"')


def _policy_reading(tmp_path: Path, target: str, kind: str) -> subprocess.CompletedProcess:
    """`target` imported (only files named *.regate can be) or read as a data file."""
    statement = f'import "{target}"' if kind == "import" else f'list l from "{target}"'
    (tmp_path / "p.regate").write_text(f'{statement}\npolicy "p" {{ rule r warn {{ for v in vulnerabilities '
                                       'where v.id in ["x"] message "m" } }\n')
    return regate("lint", "p.regate", cwd=tmp_path)


@pytest.mark.parametrize("kind, size, says", [
    ("import", 4 * 2**20 + 1, "huge.regate: larger than 4 MiB, the limit for policy files"),
    ("data", 64 * 2**20 + 1, "huge: larger than 64 MiB, the limit for data files"),
])
def test_files_over_the_size_limit_are_refused_unread(kind, size, says, tmp_path):
    name = "huge.regate" if kind == "import" else "huge"
    with open(tmp_path / name, "wb") as handle:
        handle.truncate(size)  # sparse: costs no disk, and is never read
    result = _policy_reading(tmp_path, name, kind)
    assert result.returncode == 2
    assert says in result.stderr.splitlines()[0]


@pytest.mark.parametrize("kind", ["import", "data"])
def test_pipes_and_directories_are_refused_without_blocking(kind, tmp_path):
    suffix = ".regate" if kind == "import" else ""
    os.mkfifo(tmp_path / f"fifo{suffix}")
    (tmp_path / f"folder{suffix}").mkdir()
    for target in (f"fifo{suffix}", f"folder{suffix}"):
        result = _policy_reading(tmp_path, target, kind)
        assert result.returncode == 2
        assert f"{target}: not a regular file" in result.stderr.splitlines()[0]


def test_thousands_of_exceptions_compile_and_apply(opa, tmp_path):
    allows = "".join(f'  allow r where v.id == "CVE-{i}" because "reason {i}"\n' for i in range(3000))
    (tmp_path / "p.regate").write_text(
        f'policy "p" {{\n  rule r stop {{\n    for v in vulnerabilities where v.kev\n    message "m"\n  }}\n{allows}}}\n')
    bundle = compiled_cleanly(opa, tmp_path / "p.regate", tmp_path / "bundle")
    decision = decide(opa, bundle, {"vulnerabilities": {
        "CVE-0+deb:a@1": {"kev": True}, "CVE-2999+deb:a@1": {"kev": True}, "GHSA-1+deb:b@1": {"kev": True}}})
    applied = {f["key"]: (f["exception"] or {}).get("id") for f in decision["findings"]}
    assert applied == {"CVE-0+deb:a@1": "policy:p/r#1", "CVE-2999+deb:a@1": "policy:p/r#3000",
                       "GHSA-1+deb:b@1": None}
    assert decision["final_action"] == "STOP"


@pytest.mark.parametrize("moment, valid", [
    ("9999-12-31", True), ("0001-01-01", True), ("9999-12-31T23:59:59-01:00", False),
    ("0001-01-01T00:00:00+01:00", False),
])
def test_dates_at_the_ends_of_the_calendar(moment, valid, tmp_path):
    (tmp_path / "p.regate").write_text(f'policy "p" {{\n  rule r stop {{\n    for v in vulnerabilities '
                                       f'where v.published < {moment}\n    message "m"\n  }}\n  allow r until {moment}\n}}\n')
    result = regate("compile", "p.regate", "-o", "out.tar.gz", "--today", "2026-01-01", cwd=tmp_path)
    if valid:
        assert result.returncode == 0, result.stderr
    else:
        assert result.returncode == 2
        assert result.stderr.startswith(f"p.regate:3:50: error[E306]: {moment} is not a valid date"), result.stderr
        assert f"p.regate:6:17: error[E306]: {moment} is not a valid date" in result.stderr


def test_a_policy_file_whose_name_is_not_utf8_is_refused(tmp_path):
    (tmp_path / "policies").mkdir()
    with open(os.fsencode(tmp_path / "policies") + b"/a\xff.regate", "wb") as handle:
        handle.write(b'policy "p" { rule r stop { when image.user == "root" message "m" } }\n')
    result = regate("compile", "policies", "-o", "out.tar.gz", cwd=tmp_path)
    assert result.returncode == 2
    assert result.stderr.startswith("policies/a\\udcff.regate:1:1: error[E101]: cannot read policies/a\\udcff.regate: "
                                    "the path is not UTF-8"), result.stderr


def test_a_huge_unexpected_token_is_quoted_short_and_visible(tmp_path):
    (tmp_path / "p.regate").write_text('policy "p" "\x1b[2J' + "x" * 100_000 + '"\n')
    result = regate("lint", "p.regate", cwd=tmp_path)
    assert result.returncode == 2
    head = result.stderr.splitlines()[0]
    assert head == 'p.regate:1:12: error[E001]: unexpected string "\\u001b[2J' + "x" * 35 + '…', head
    assert "\x1b" not in result.stderr


def test_test_inputs_with_odd_port_keys_complete_without_error():
    # `regate test` completes each case's input; "²" passed str.isdigit and then crashed int().
    ports = complete({"image": {"exposed_ports": {"²/tcp": {}, "8080/tcp": {}, "9" * 5000 + "/udp": {}}}})
    assert [p["port"] for p in ports["image"]["exposed_ports"].values()] == [0, 8080, 0]
