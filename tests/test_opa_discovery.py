"""Finding OPA: $REGATE_OPA, then PATH, then .tools/bin/opa; a missing or too-old one is one clear line."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

POLICY = 'policy "p" { rule r warn { when image.effective_user == "root" message "root" } }\n'


def _regate_test(tmp_path: Path, env: dict) -> subprocess.CompletedProcess:
    (tmp_path / "p.regate").write_text(POLICY)
    (tmp_path / "p_test.yaml").write_text("cases:\n  - name: x\n    input: {image: {user: \"\"}}\n    expect: {action: WARN}\n")
    return subprocess.run([sys.executable, "-m", "regate", "test", str(tmp_path)], capture_output=True, text=True,
                          env={**os.environ, **env})


def _fake_opa(tmp_path: Path, version_line: str) -> Path:
    fake = tmp_path / "bin" / "opa"
    fake.parent.mkdir()
    fake.write_text(f"#!/bin/sh\necho '{version_line}'\n")
    fake.chmod(0o755)
    return fake


def test_regate_opa_wins_and_a_too_old_opa_is_refused(tmp_path):
    fake = _fake_opa(tmp_path, "Version: 0.68.0")
    result = _regate_test(tmp_path, {"REGATE_OPA": str(fake)})
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "OPA 0.68.0" in lines[0] and "too old" in lines[0]
    assert "go install github.com/open-policy-agent/opa@" in lines[0]


def test_something_that_is_not_opa_is_refused(tmp_path):
    fake = _fake_opa(tmp_path, "hello")
    result = _regate_test(tmp_path, {"REGATE_OPA": str(fake)})
    assert result.returncode == 2 and "does not look like OPA" in result.stderr


def test_path_comes_before_the_checkout_copy(tmp_path, opa):
    fake = _fake_opa(tmp_path, "Version: 0.1.0")
    result = _regate_test(tmp_path, {"PATH": f"{fake.parent}:{os.environ['PATH']}", "REGATE_OPA": ""})
    assert result.returncode == 2 and str(fake) in result.stderr


def test_the_real_opa_runs_the_tests(tmp_path, opa):
    result = _regate_test(tmp_path, {"REGATE_OPA": opa.path})
    assert result.returncode == 0, result.stdout + result.stderr
    assert "1 passed, 0 failed" in result.stdout


def test_the_version_is_remembered_per_binary_and_asked_again_when_it_changes(tmp_path, opa):
    cache = tmp_path / "cache"
    env = {"REGATE_OPA": opa.path, "REGATE_CACHE_DIR": str(cache)}
    assert _regate_test(tmp_path, env).returncode == 0
    [remembered] = (cache / "opa").iterdir()
    assert remembered.read_text() == opa.version
    # Another binary at another path, then the same path rewritten: each is asked, not taken from the cache.
    fake = _fake_opa(tmp_path, "Version: 1.5.0")
    _regate_test(tmp_path, {**env, "REGATE_OPA": str(fake)})
    assert "1.5.0" in {p.read_text() for p in (cache / "opa").iterdir()}
    fake.write_text("#!/bin/sh\necho 'Version: 0.60.0 (rewritten)'\n")
    result = _regate_test(tmp_path, {**env, "REGATE_OPA": str(fake)})
    assert result.returncode == 2 and "OPA 0.60.0" in result.stderr and "too old" in result.stderr
