"""The compile cache: a hit is byte for byte what a fresh compile gives, and
anything the compile read changing makes a miss."""

from __future__ import annotations

import json
import shutil
from datetime import date
from pathlib import Path

import pytest

from engine.gatehelpers import EXAMPLES, NOW, decisions, regate, report
from engine.gatehelpers import isolated_cache  # noqa: F401  (autouse: a compile cache per test process)
from regate.bundle import bundle_files, tarball
from regate.cache import _toolchain, _toolchain_digest, compile_cached
from regate.compile import compile_policies

DAY = date(2026, 6, 1)
OPA_VERSION = "1.22.3"


@pytest.fixture
def policy(tmp_path, monkeypatch) -> Path:
    """A copy of the production example (with its list file) and an empty cache."""
    monkeypatch.setenv("REGATE_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.chdir(tmp_path)
    shutil.copytree(EXAMPLES / "production", tmp_path / "policy")
    return tmp_path / "policy"


def _fresh(policy: Path) -> bytes:
    return tarball(bundle_files(compile_policies([policy], DAY)))


def test_a_hit_is_exactly_a_fresh_compile(policy):
    first = compile_cached([policy], DAY, OPA_VERSION)
    second = compile_cached([policy], DAY, OPA_VERSION)
    assert (first.cached, second.cached) == (False, True)
    assert second.path.read_bytes() == first.path.read_bytes() == _fresh(policy)
    assert second.revision == first.revision and second.root == first.root == policy


@pytest.mark.parametrize("change", ["policy", "list file", "new file", "removed file", "imported file"])
def test_whatever_the_compile_read_changing_is_a_miss(policy, change):
    (policy / "extra.regate").write_text('import "../shared/common.regate"\n')
    (policy.parent / "shared").mkdir()
    (policy.parent / "shared" / "common.regate").write_text("param unused = 1\n")
    before = compile_cached([policy], DAY, OPA_VERSION)
    if change == "policy":
        source = policy / "production.regate"
        source.write_text(source.read_text().replace("fix_grace_days = 30", "fix_grace_days = 31"))
    elif change == "list file":
        with open(policy / "lists" / "denied-packages.yaml", "a") as handle:
            handle.write("  - netcat-traditional\n")
    elif change == "new file":
        (policy / "more.regate").write_text('policy "more" {\n  rule r warn {\n    when image.os == "linux"\n'
                                            '    message "m"\n  }\n}\n')
    elif change == "removed file":
        (policy / "extra.regate").unlink()
    else:
        (policy.parent / "shared" / "common.regate").write_text("param unused = 2\n")
    after = compile_cached([policy], DAY, OPA_VERSION)
    assert not after.cached
    assert after.revision != before.revision
    assert after.path.read_bytes() == _fresh(policy)


def test_a_damaged_cached_bundle_is_a_miss(policy):
    first = compile_cached([policy], DAY, OPA_VERSION)
    first.path.write_bytes(b"damaged")
    again = compile_cached([policy], DAY, OPA_VERSION)
    assert not again.cached and again.path.read_bytes() == _fresh(policy)


def test_the_key_covers_opa_version_and_date(policy):
    compile_cached([policy], DAY, OPA_VERSION)
    assert not compile_cached([policy], DAY, "1.23.0").cached
    assert not compile_cached([policy], date(2026, 6, 2), OPA_VERSION).cached
    assert compile_cached([policy], DAY, OPA_VERSION).cached


def test_the_hash_of_regates_code_is_remembered_until_a_file_changes(policy):
    memo = policy.parent / "cache" / "toolchain.json"
    _toolchain.cache_clear()
    assert _toolchain() == _toolchain_digest()
    remembered = json.loads(memo.read_text())
    assert remembered["digest"] == _toolchain_digest()
    assert any(path.endswith("cache.py") for path, _, _ in remembered["stamp"])
    # The remembered hash is what a run uses while every file's (path, mtime_ns, size) is as stamped...
    memo.write_text(json.dumps(dict(remembered, digest="remembered")))
    _toolchain.cache_clear()
    assert _toolchain() == "remembered"
    # ...and the sources are hashed again when one differs (here: one file's size in the stamp).
    stamp = [[path, mtime, size + 1 if path.endswith("cache.py") else size] for path, mtime, size in remembered["stamp"]]
    memo.write_text(json.dumps({"stamp": stamp, "digest": "remembered"}))
    _toolchain.cache_clear()
    assert _toolchain() == _toolchain_digest()
    assert json.loads(memo.read_text()) == remembered
    _toolchain.cache_clear()


def test_a_miss_removes_entries_no_run_used_for_a_month_and_a_hit_keeps_its_own(policy):
    """The key changes every day: without pruning, a daily pipeline leaves a bundle a day behind."""
    import os
    import time

    from regate.cache import KEEP_DAYS

    old_day = compile_cached([policy], date(2026, 4, 1), OPA_VERSION).path.parent
    kept_day = compile_cached([policy], date(2026, 5, 1), OPA_VERSION).path.parent
    month_ago = time.time() - (KEEP_DAYS + 1) * 86400
    for entry in (old_day, kept_day):
        os.utime(entry, (month_ago, month_ago))
    assert compile_cached([policy], date(2026, 5, 1), OPA_VERSION).cached  # a hit: kept_day is used again
    assert not compile_cached([policy], DAY, OPA_VERSION).cached  # a miss prunes
    assert not old_day.exists() and kept_day.exists()


def test_warnings_survive_a_hit(policy):
    source = policy / "production.regate"
    source.write_text(source.read_text().replace("until 2027-03-01", "until 2026-01-01"))
    first = compile_cached([policy], DAY, OPA_VERSION)
    second = compile_cached([policy], DAY, OPA_VERSION)
    assert second.cached
    assert [w.code for w in first.warnings] == [w.code for w in second.warnings] == ["W501"]
    assert second.warnings == first.warnings


def test_check_decides_the_same_on_a_hit(policy):
    inputs = EXAMPLES / "production" / "inputs"
    args = ("check", "--policy", policy, "--format", "json", "--now", NOW, inputs / "vulnerable.json", inputs / "clean.json")
    miss, hit = regate(*args), regate(*args)
    assert miss.returncode == hit.returncode == 1
    assert decisions(miss) == decisions(hit)
    assert (report(miss)["policy"]["cached"], report(hit)["policy"]["cached"]) == (False, True)
