"""Managed OPA servers launched by regate's entry point before the command line is parsed (regate.early).

The entry point guesses from the arguments alone; the engine adopts the servers only when they are the
ones it would launch itself, and stops them otherwise. `run` below is regate's entry point with an
audit hook noting each `opa run` launch and whether click was imported yet: "early" (before the command
line was parsed) or "late" (by the engine).
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import stat
import subprocess
import sys
import tempfile

import pytest

from engine.gatehelpers import EXAMPLES, NOW, decisions, opa_server, pid_alive, report
from engine.gatehelpers import isolated_cache  # noqa: F401  (autouse: a compile cache per test process)
from regate import early
from regate.early import BatchForm, batch_form, today_of
from regate.engine import open_engine
from regate.engine.server import ServerOptions
from regate.opa import find_opa

PRODUCTION = EXAMPLES / "production"
VULNERABLE = PRODUCTION / "inputs" / "vulnerable.json"
CLEAN = PRODUCTION / "inputs" / "clean.json"
DAY = today_of(NOW)

_ENTRY = """import os, sys
def noted(event, args):
    if event == "subprocess.Popen" and list(args[1][1:2]) == ["run"]:
        with open(os.environ["LAUNCH_LOG"], "a") as log:
            log.write("late\\n" if "click" in sys.modules else "early\\n")
sys.addaudithook(noted)
from regate.launch import main
sys.argv = ["regate", *sys.argv[1:]]
main()
"""


@pytest.fixture()
def launches(tmp_path) -> tuple[dict, object]:
    """The environment `run` needs, and what the log says: each launch's phase, and the PIDs the `opa`
    wrapper noted for its `opa run`s. Servers' socket directories go to the test's own TMPDIR."""
    wrapper = tmp_path / "bin" / "opa"
    wrapper.parent.mkdir()
    pids = tmp_path / "pids.log"
    wrapper.write_text(f'#!/bin/sh\nif [ "$1" = run ]; then echo $$ >> {pids}; fi\nexec {find_opa().path} "$@"\n')
    wrapper.chmod(wrapper.stat().st_mode | stat.S_IXUSR)
    (tmp_path / "tmp").mkdir()
    env = dict(os.environ, REGATE_OPA=str(wrapper), LAUNCH_LOG=str(tmp_path / "launch.log"), TMPDIR=str(tmp_path / "tmp"))

    def log() -> tuple[list[str], list[int]]:
        phases = (tmp_path / "launch.log").read_text().split() if (tmp_path / "launch.log").exists() else []
        return phases, [int(pid) for pid in pids.read_text().split()] if pids.exists() else []

    return env, log


def run(*args, env: dict) -> subprocess.CompletedProcess:
    result = subprocess.run([sys.executable, "-c", _ENTRY, *map(str, args)], capture_output=True, text=True, env=env,
                            timeout=300, stdin=subprocess.DEVNULL)
    assert "Traceback" not in result.stderr, result.stderr
    return result


def _cached(env: dict) -> None:
    """Compiles the production example into the (test process's) compile cache: the early launch needs a hit."""
    done = run("check", "--policy", PRODUCTION, "--now", NOW, VULNERABLE, env=env)
    assert done.returncode == 1, done.stderr


@pytest.mark.parametrize("argv, form", [
    (["check", "--policy", "p", "--engine", "server", "a.json", "b.json"], BatchForm(("p",), None, None, 1)),
    (["check", "--policy=p", "--policy", "q", "--workers=3", "dir", "--now", NOW, "--require", "packages",
      "--format", "json", "-o", "r.json", "--output=s.json", "--fail-on", "warn", "--timeout", "5", "--explain"],
     BatchForm(("p", "q"), None, DAY, 3)),
    (["check", "--bundle", "b.tar.gz", "--engine=server", "--workers", "2", "in.json"], BatchForm((), "b.tar.gz", None, 2)),
    (["eval", "--bundle", "b", "--input", "a.json", "--input", "b.json", "--engine", "server"], BatchForm((), "b", None, 1)),
    (["eval", "--bundle", "b", "--input", "a.json", "--workers", "2", "--now", NOW], BatchForm((), "b", DAY, 2)),
    # Anything else launches nothing: the command runs as it always did.
    (["check", "--policy", "p", "a.json", "b.json"], None),  # the CLI engine
    (["check", "--policy", "p", "--engine", "cli", "a.json", "b.json"], None),
    (["check", "--policy", "p", "--engine", "cli", "--workers", "2", "a.json"], None),
    (["check", "--policy", "p", "--engine", "server", "--opa-url", "http://opa:8181", "a.json"], None),
    (["check", "--policy", "p", "--workers", "2", "--platform", "linux/amd64", "a.json"], None),
    (["check", "--policy", "p", "--workers", "2", "--verification-key", "k.pem", "a.json"], None),
    (["check", "--policy", "p", "--bundle", "b", "--workers", "2", "a.json"], None),
    (["check", "--engine", "server", "a.json"], None),
    (["check", "--policy", "p", "--engine", "server"], None),
    (["check", "--policy", "p", "--workers", "0", "a.json"], None),
    (["check", "--policy", "p", "--workers", "two", "a.json"], None),
    (["check", "--policy", "p", "--workers", "1", "--workers", "2", "a.json"], None),
    (["check", "--bundle", "b", "--bundle", "c", "--workers", "2", "a.json"], None),
    (["check", "--policy", "p", "--workers", "2", "--now", "2026-06-01", "a.json"], None),
    (["check", "--policy", "p", "--workers", "2", "--explain=yes", "a.json"], None),
    (["check", "--policy", "p", "--workers", "2", "--", "a.json"], None),
    (["check", "--policy", "p", "a.json", "--workers"], None),
    (["eval", "--bundle", "b", "--input", "a.json", "--require", "packages", "--workers", "2"], None),
    (["eval", "--input", "a.json", "--workers", "2"], None),
    (["compile", "--policy", "p", "--workers", "2", "a.json"], None),
    ([], None),
])
def test_the_batch_form(argv, form):
    assert batch_form(argv) == form


def test_a_batch_check_uses_the_server_launched_before_its_command_line_was_parsed(launches, tmp_path):
    env, log = launches
    _cached(env)
    usual = run("check", "--policy", PRODUCTION, "--engine", "server", "--now", NOW, "--format", "json", "--platform", "",
                VULNERABLE, CLEAN, env=env)  # --platform is not of the batch form: the engine launches the server
    assert log()[0] == ["late"]
    checked = run("check", "--policy", PRODUCTION, "--engine", "server", "--now", NOW, "--format", "json", VULNERABLE, CLEAN,
                  env=env)
    assert checked.returncode == usual.returncode == 1, checked.stderr
    phases, pids = log()
    assert phases == ["late", "early"]  # one launch, not two: the engine adopted it
    assert decisions(checked) == decisions(usual)
    assert report(checked)["engine"]["managed"]
    assert not any(pid_alive(pid) for pid in pids)
    assert not list((tmp_path / "tmp").iterdir())  # its socket directory removed


def test_a_pool_of_two_adopts_both_servers(launches, bundle, tmp_path):
    env, log = launches
    result = run("eval", "--bundle", bundle, "--workers", "2", "--format", "json", "--now", NOW,
                 "--input", VULNERABLE, "--input", CLEAN, "--input", VULNERABLE, env=env)
    assert result.returncode == 1, result.stderr
    phases, pids = log()
    assert phases == ["early", "early"]
    assert [d["final_action"] for d in decisions(result)] == ["STOP", "GO", "STOP"]
    assert len(report(result)["engine"]["target"].split(", ")) == 2
    assert not any(pid_alive(pid) for pid in pids)
    assert not list((tmp_path / "tmp").iterdir())


@pytest.mark.parametrize("extra, code, phases", [
    (["--engine", "cli"], 1, []),
    (["--engine", "server", "--platform", ""], 1, ["late"]),  # not of the batch form: the engine launches it
    (["--workers=2", "--engine", "cli"], 2, []),  # refused by the command
], ids=["cli engine", "another option", "a contradiction"])
def test_another_form_launches_no_early_server(launches, bundle, extra, code, phases):
    env, log = launches
    result = run("check", "--bundle", bundle, "--now", NOW, *extra, VULNERABLE, CLEAN, env=env)
    assert result.returncode == code, result.stderr
    assert log()[0] == phases


@pytest.mark.parametrize("mistake", [["--require", "no-such-data"], ["--format", "no-such-format"], ["--timeout", "0"]])
def test_servers_launched_for_a_command_that_fails_before_its_engine_are_stopped(launches, bundle, tmp_path, mistake):
    env, log = launches
    result = run("check", "--bundle", bundle, "--workers", "2", *mistake, VULNERABLE, CLEAN, env=env)
    assert result.returncode == 2
    phases, pids = log()
    assert phases == ["early", "early"] and len(pids) == 2
    assert not any(pid_alive(pid) for pid in pids)
    assert not list((tmp_path / "tmp").iterdir())


def test_servers_the_engine_would_not_have_launched_are_stopped(bundle, tmp_path, opa, monkeypatch):
    sockets = tmp_path / "sockets"  # where the servers' socket directories go
    sockets.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(sockets))
    other = tmp_path / "other.tar.gz"
    shutil.copy(bundle, other)
    replaced = tmp_path / "replaced.tar.gz"
    shutil.copy(bundle, replaced)
    argv = ["eval", "--bundle", str(bundle), "--workers", "2", "--input", str(VULNERABLE)]

    def launched(argv=argv):
        early.speculate(argv)
        guessed = early.take_servers()
        assert guessed is not None and all(pid_alive(server.process.pid) for server in guessed.servers)
        return guessed

    def stopped(guessed) -> bool:
        return not any(pid_alive(s.process.pid) or s.directory.exists() for s in guessed.servers)

    for kind, path, workers in [("server", other, 2), ("server", bundle, 3), ("server", bundle, None), ("cli", bundle, None)]:
        guessed = launched()
        with open_engine(kind, path, workers=workers, launched=guessed) as engine:
            assert stopped(guessed), (kind, path, workers)
            assert engine.evaluate(dict(json.loads(VULNERABLE.read_text()), now=NOW))["final_action"] == "STOP"
    # A file compiled again in its place is another bundle, whatever its name.
    guessed = launched(["eval", "--bundle", str(replaced), "--workers", "2", "--input", str(VULNERABLE)])
    shutil.copy(bundle, tmp_path / "new.tar.gz")
    os.replace(tmp_path / "new.tar.gz", replaced)
    with open_engine("server", replaced, workers=2, launched=guessed):
        assert stopped(guessed)
    with opa_server(opa, "--bundle", str(bundle)) as url:
        guessed = launched()
        with open_engine("server", server=ServerOptions(url), launched=guessed):
            assert stopped(guessed)
    guessed = launched()
    with open_engine("server", bundle, workers=2, launched=guessed) as pool:
        assert [member.process.pid for member in pool.engines] == [s.process.pid for s in guessed.servers]
    assert stopped(guessed)
    assert not list(sockets.iterdir())


def test_a_failed_early_launch_is_reported_by_the_command_in_its_turn(launches, bundle, tmp_path):
    env, log = launches
    missing = run("check", "--bundle", bundle, "--engine", "server", VULNERABLE, CLEAN,
                  env=dict(env, REGATE_OPA=str(tmp_path / "no-opa")))
    assert missing.returncode == 2
    assert missing.stderr.startswith(f"regate: error: cannot run OPA at {tmp_path / 'no-opa'}: No such file or directory")
    # An OPA that answers `opa version` but cannot serve: launched early, it fails when the engine waits for it.
    failing = tmp_path / "bin" / "failing"
    failing.write_text(f'#!/bin/sh\nif [ "$1" = run ]; then echo "no serving today" >&2; exit 3; fi\n'
                       f'exec {find_opa().path} "$@"\n')
    failing.chmod(0o755)
    refused = run("check", "--bundle", bundle, "--engine", "server", VULNERABLE, CLEAN, env=dict(env, REGATE_OPA=str(failing)))
    assert refused.returncode == 2
    assert "early" in log()[0]
    assert "regate: error: opa run --server exited with status 3 before serving" in refused.stderr
    assert "no serving today" in refused.stderr
    assert not list((tmp_path / "tmp").iterdir())


def test_servers_launch_before_the_engine_http_client_orjson_or_click_are_imported(bundle):
    probe = ("import sys\nfrom regate import early\n"
             f"early.speculate(['check', '--bundle', {str(bundle)!r}, '--workers', '2', 'a.json'])\n"
             "loaded = sorted(m for m in ('orjson', 'dataclasses', 'http.client', 'regate.engine', 'click') if m in sys.modules)\n"
             "servers = early.take_servers().servers\n"
             "print(len(servers), all(s.process.poll() is None for s in servers), loaded)\n"
             "for s in servers: s.stop()\n")
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=60)
    assert done.stdout.split(None, 2) == ["2", "True", "[]\n"], done.stderr


def test_an_early_server_dies_with_regate(bundle, tmp_path):
    probe = ("import sys, time\nfrom regate import early\n"
             f"early.speculate(['check', '--bundle', {str(bundle)!r}, '--engine', 'server', 'a.json'])\n"
             "print(early._servers.servers[0].process.pid, flush=True)\ntime.sleep(60)\n")
    # Killed, regate removes nothing: the server's socket directory (emptied by OPA) stays in TMPDIR.
    regate = subprocess.Popen([sys.executable, "-c", probe], stdout=subprocess.PIPE, text=True,
                              env=dict(os.environ, TMPDIR=str(tmp_path)))
    pid = None
    try:
        pid = int(regate.stdout.readline())
        assert pid_alive(pid)
        regate.kill()  # SIGKILL: regate runs no cleanup at all
        regate.wait()
        assert _gone(pid), "the server outlived regate"
    finally:
        regate.kill()
        regate.wait()
        if pid is not None and pid_alive(pid):  # only after a failure: no test leaves an OPA behind
            os.kill(pid, signal.SIGKILL)


def _gone(pid: int, timeout: float = 30) -> bool:
    import time

    deadline = time.monotonic() + timeout
    while pid_alive(pid) and time.monotonic() < deadline:
        time.sleep(0.05)
    return not pid_alive(pid)
