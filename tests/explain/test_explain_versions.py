"""The plan's upgrades use the ecosystem ordering of the Rego library, evaluated
by OPA: checked against the upstream comparison tables the library itself is
tested with (dpkg's, apk-tools', rpm's, PEP 440's, SemVer's, every pair), and
on the choices a plan makes (lowest fix above the installed version, highest
of those across a package's vulnerabilities)."""

from __future__ import annotations

import os
import re
import time
from pathlib import Path

import pytest

from regate.errors import EngineError
from regate.explain.versions import Upgrades, lowest_upgrades
from regate.opa import Opa

LIBRARY = Path(__file__).resolve().parents[2] / "rego" / "regate" / "lib" / "version"
# Test table file -> a package type whose scheme it tests.
_TABLES = {"debian": "deb", "alpine": "apk", "rpm": "rpm", "pep440": "python", "semver": "npm", "generic": "binary"}
_PAIR = re.compile(r'^\s*\[\s*"((?:[^"\\]|\\.)*)",\s*"((?:[^"\\]|\\.)*)",\s*(-?1|0)\s*\],?\s*$', re.M)


def _pairs() -> list[tuple[str, str, str]]:
    """(package type, lower, higher) for every strictly ordered pair of the library's tables."""
    out = []
    for table, ecosystem in _TABLES.items():
        for a, b, want in _PAIR.findall((LIBRARY / f"{table}_test.rego").read_text(encoding="utf-8")):
            if want != "0":
                low, high = (a, b) if want == "-1" else (b, a)
                out.append((ecosystem, low, high))
    # packaging's list is written in sorting order: every earlier entry is lower.
    pep440 = (LIBRARY / "pep440_test.rego").read_text(encoding="utf-8")
    block = pep440[pep440.index("packaging_sorted_versions := ["):]
    ordered = re.findall(r'^\s*"([^"]+)",?$', block[:block.index("]")], re.M)
    out += [("python", low, high) for i, low in enumerate(ordered) for high in ordered[i + 1:]]
    return out


def test_upgrades_follow_every_ordered_pair_of_the_upstream_tables(opa):
    pairs = _pairs()
    assert len(pairs) > 500 and {e for e, _, _ in pairs} == set(_TABLES.values())
    packages = {}
    for i, (ecosystem, low, high) in enumerate(pairs):
        packages[f"up{i}"] = {"type": ecosystem, "version": low, "fixes": {"v": [high]}}
        packages[f"down{i}"] = {"type": ecosystem, "version": high, "fixes": {"v": [low]}}
    chosen = lowest_upgrades(opa, packages, timeout=300)
    wrong_up = [(pairs[i], chosen.get(f"up{i}")) for i in range(len(pairs))
                if chosen.get(f"up{i}", {}).get("target") != pairs[i][2]]
    wrong_down = [pairs[i] for i in range(len(pairs)) if f"down{i}" in chosen]
    assert not wrong_up, wrong_up[:5]
    assert not wrong_down, wrong_down[:5]


CASES = [
    # (type, installed, {vulnerability: fixes}, target, cleared, unfixable)
    ("deb", "3.0.11-1~deb12u1", {"a": ["3.0.13-1~deb12u1"], "b": ["3.0.11-1~deb12u2", "3.1.0-1"]},
     "3.0.13-1~deb12u1", ["a", "b"], []),
    ("deb", "1.2-1", {"a": ["1.2-1~bpo1"], "b": []}, None, [], ["a", "b"]),
    ("rpm", "1:2.2.6-50.el8", {"a": ["3.7.2"], "b": ["1:2.2.6-51.el8"]}, "1:2.2.6-51.el8", ["b"], ["a"]),
    ("apk", "3.0.8-r0", {"a": ["3.0.8-r1"], "b": ["3.0.8_rc1-r0", "3.0.9-r0"]}, "3.0.9-r0", ["a", "b"], []),
    ("python", "2.31.0", {"a": ["2.32.0rc1", "2.32.0"], "b": ["2.31.1"]}, "2.32.0rc1", ["a", "b"], []),
    ("npm", "4.17.20", {"a": ["4.17.21"], "b": ["5.0.0-beta.1"]}, "5.0.0-beta.1", ["a", "b"], []),
    # One version, two spellings: the first string, for a stable plan.
    ("python", "1.0", {"a": ["1.1.0", "1.1"]}, "1.1", ["a"], []),
]


@pytest.mark.parametrize(("ecosystem", "installed", "fixes", "target", "cleared", "unfixable"), CASES)
def test_lowest_version_that_clears_every_fixable_vulnerability(opa, ecosystem, installed, fixes, target, cleared,
                                                                 unfixable):
    chosen = lowest_upgrades(opa, {"p": {"type": ecosystem, "version": installed, "fixes": fixes}}, timeout=60)
    if target is None:
        assert chosen == {}
        return
    assert chosen["p"] == {"target": target, "cleared": cleared, "unfixable": unfixable}


def test_the_planning_module_is_formatted_and_strict(opa):
    from regate.explain.versions import _modules

    modules = _modules()
    formatted = opa.run("fmt", "--list", *modules)
    assert formatted.returncode == 0 and formatted.stdout == "", formatted.stdout + formatted.stderr
    checked = opa.run("check", "--strict", *modules)
    assert checked.returncode == 0, checked.stdout + checked.stderr


def _wrapped(opa, tmp_path: Path, before: str) -> Opa:
    """The real OPA behind a script that runs `before` first (and records its own process id)."""
    script = tmp_path / "opa"
    script.write_text(f'#!/bin/sh\necho $$ > {tmp_path / "pid"}\n{before}\nexec {opa.path} "$@"\n', encoding="utf-8")
    script.chmod(0o755)
    return Opa(str(script), opa.version)


def _gone(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    return Path(f"/proc/{pid}/status").read_text().find("State:\tZ") >= 0


def _started(tmp_path: Path) -> int:
    """The process id the wrapper records as it starts."""
    waited = time.monotonic()
    while not (tmp_path / "pid").exists():
        assert time.monotonic() - waited < 30
        time.sleep(0.01)
    return int((tmp_path / "pid").read_text())


def test_upgrades_run_while_regate_does_other_work_and_give_what_they_gave(opa, tmp_path):
    packages = {"p": {"type": "deb", "version": "1.0-1", "fixes": {"a": ["1.0-2"], "b": ["1.1-1"]}}}
    started = Upgrades(_wrapped(opa, tmp_path, "sleep 0.3"), packages, timeout=60)
    _started(tmp_path)  # before the result is asked for
    assert started.result() == {"p": {"target": "1.1-1", "cleared": ["a", "b"], "unfixable": []}}
    assert lowest_upgrades(opa, {}, timeout=60) == {}


def test_upgrades_cancelled_or_out_of_time_leave_nothing_running(opa, tmp_path):
    packages = {"p": {"type": "deb", "version": "1.0-1", "fixes": {"a": ["1.0-2"]}}}
    started = Upgrades(_wrapped(opa, tmp_path, "sleep 60"), packages, timeout=60)
    pid = _started(tmp_path)
    started.cancel()
    assert _gone(pid)
    (tmp_path / "pid").unlink()
    with pytest.raises(EngineError, match=r"opa eval did not finish within 2 s \(--timeout\)"):
        lowest_upgrades(_wrapped(opa, tmp_path, "sleep 60"), packages, timeout=2)
    assert _gone(_started(tmp_path))


def test_a_failed_upgrade_evaluation_is_an_engine_error(opa, tmp_path):
    failing = _wrapped(opa, tmp_path, "echo 'rego_parse_error: broken' >&2; exit 2")
    failed = r"opa eval of the upgrade plan failed \(exit status 2\): rego_parse_error: broken"
    with pytest.raises(EngineError, match=failed):
        lowest_upgrades(failing, {"p": {"type": "deb", "version": "1", "fixes": {"a": ["2"]}}}, timeout=60)
