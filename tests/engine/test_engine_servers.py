"""The OPA server engine against real `opa run --server` processes: the managed
one regate starts and stops, and servers the tests start the way users run
their own (with a bundle, with pushed policies, with a token, with TLS)."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest
import requests

from engine.gatehelpers import EXAMPLES, NOW, decisions, opa_server, pid_alive, regate, report, write_policy
from engine.gatehelpers import isolated_cache  # noqa: F401  (autouse: a compile cache per test process)
from support.ports import free_port
from regate.bundle import write_directory
from regate.compile import compile_policies
from regate.engine import ServerUnavailable, open_engine
from regate.engine.managed import ManagedOpa, launch
from regate.engine.pool import ServerPool
from regate.engine.server import ServerEngine
from regate.errors import EngineError
from regate.opa import GOGC

PRODUCTION = EXAMPLES / "production"
VULNERABLE = PRODUCTION / "inputs" / "vulnerable.json"
CLEAN = PRODUCTION / "inputs" / "clean.json"


@pytest.fixture(scope="module")
def expected(bundle) -> list[dict]:
    """The decisions of `opa eval`, which every server path must reproduce."""
    docs = [dict(json.loads(p.read_text()), now=NOW) for p in (VULNERABLE, CLEAN)]
    with open_engine("cli", bundle) as cli:
        return [cli.evaluate(doc) for doc in docs]


def _check(*args) -> subprocess.CompletedProcess:
    return regate("check", "--format", "json", "--now", NOW, *args, VULNERABLE, CLEAN)


# ------------------------------------------------------------ managed server


def test_one_managed_server_serves_every_input_and_is_stopped(bundle, opa):
    docs = [json.loads(p.read_text()) for p in (VULNERABLE, CLEAN, VULNERABLE)]
    with open_engine("server", bundle) as engine:
        pid = engine.process.pid
        assert pid_alive(pid)
        assert [d["final_action"] for d in engine.evaluate_many(docs)] == ["STOP", "GO", "STOP"]
        assert engine.process.pid == pid
        assert engine.describe().managed
    assert not pid_alive(pid)


def test_managed_server_is_stopped_when_the_run_fails(bundle, opa):
    with pytest.raises(EngineError):
        with open_engine("server", bundle) as engine:
            pid = engine.process.pid
            engine.evaluate({"not": "an input document"} | {"schema_version": 1})
            raise EngineError("a failure after the server started")
    assert not pid_alive(pid)


def test_a_managed_evaluation_past_the_timeout_fails_closed(bundle, opa):
    # 20,000 packages take OPA well over 0.1 s to read and decide.
    document = json.loads(CLEAN.read_text())
    template = next(iter(document["packages"].values()))
    document["packages"] = {f"deb:p{i}@1": {**template, "key": f"deb:p{i}@1", "name": f"p{i}"} for i in range(20_000)}
    with open_engine("server", bundle, timeout=0.1) as engine:
        with pytest.raises(ServerUnavailable, match=rf"{engine.url} did not answer within 0.1 s while evaluating "
                                                    r"data.regate.decision.main \(--timeout\)"):
            engine.evaluate(document)


def test_managed_server_with_a_bad_bundle_fails_closed(tmp_path, opa):
    broken = tmp_path / "broken.tar.gz"
    broken.write_bytes(b"not a bundle")
    manager = ManagedOpa(opa, broken)
    with pytest.raises(EngineError, match="opa run --server exited"):
        manager.start()
    assert manager.process.poll() is not None


def test_a_pool_launched_on_a_bad_bundle_fails_closed_and_stops_every_server(tmp_path, opa):
    broken = tmp_path / "broken.tar.gz"
    broken.write_bytes(b"not a bundle")
    processes = launch(opa, broken, 3)
    with pytest.raises(EngineError, match="opa run --server exited"):
        ServerPool.serving(processes)
    assert all(process.process.poll() is not None for process in processes)


def test_a_managed_server_listens_only_on_a_socket_in_a_private_directory_removed_after(bundle, opa):
    with open_engine("server", bundle) as engine:
        socket_path = Path(engine.url.removeprefix("unix://"))
        assert engine.url.startswith("unix:///") and socket_path.is_socket()
        assert socket_path.parent.stat().st_mode & 0o777 == 0o700
        assert engine.evaluate(json.loads(CLEAN.read_text()))["final_action"] == "GO"
        # No TCP socket of its own: nothing another local user could connect to.
        links = [os.readlink(fd) for fd in Path(f"/proc/{engine.process.pid}/fd").iterdir()]
        sockets = {link.removeprefix("socket:[").rstrip("]") for link in links if link.startswith("socket:[")}
        tcp = {line.split()[9] for name in ("tcp", "tcp6")
               for line in Path(f"/proc/net/{name}").read_text().splitlines()[1:]}
        assert sockets and not sockets & tcp
    assert not socket_path.parent.exists()


def test_a_temporary_directory_too_deep_for_a_socket_path_gives_way_to_tmp(bundle, opa, tmp_path, monkeypatch):
    deep = tmp_path / ("d" * 100)
    deep.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(deep))
    with open_engine("server", bundle) as engine:
        assert engine.url.startswith("unix:///tmp/regate-opa-")
        assert engine.evaluate(json.loads(CLEAN.read_text()))["final_action"] == "GO"
    assert not list(deep.iterdir())  # the directory tried first was removed


def test_check_through_the_managed_server_leaves_no_opa_behind(expected, tmp_path):
    cache = tmp_path / "cache"
    result = regate("check", "--policy", PRODUCTION, "--engine", "server", "--format", "json", "--now", NOW,
                    VULNERABLE, CLEAN, env={**os.environ, "REGATE_CACHE_DIR": str(cache)})
    assert result.returncode == 1, result.stderr
    assert decisions(result) == expected
    engine = report(result)["engine"]
    assert engine["managed"] and engine["name"] == "server"
    # The managed server ran on a bundle under this test's own cache directory.
    leftovers = [p for p in Path("/proc").iterdir() if p.name.isdigit() and _cmdline_mentions(p, str(cache))]
    assert leftovers == []


def test_managed_server_ignores_the_proxy_the_environment_names(expected, tmp_path):
    # Port 9 (discard) refuses connections: a request sent to this "proxy" fails instead of reaching OPA.
    proxy = "http://127.0.0.1:9"
    env = {**os.environ, "REGATE_CACHE_DIR": str(tmp_path / "cache"), "HTTP_PROXY": proxy, "http_proxy": proxy,
           "ALL_PROXY": proxy, "all_proxy": proxy}
    for name in ("NO_PROXY", "no_proxy"):
        env.pop(name, None)
    result = regate("check", "--policy", PRODUCTION, "--engine", "server", "--format", "json", "--now", NOW,
                    VULNERABLE, CLEAN, env=env, timeout=120)
    assert result.returncode == 1, result.stderr
    assert decisions(result) == expected


def test_managed_server_makes_no_request_of_its_own(bundle, opa, monkeypatch):
    # `opa run` asks GitHub for OPA's latest release as it starts, through the proxy the environment
    # names: regate's own loopback server must reach nothing outside this machine.
    with socket.socket() as proxy:
        proxy.bind(("127.0.0.1", 0))
        proxy.listen()
        proxy.settimeout(3)
        address = f"http://127.0.0.1:{proxy.getsockname()[1]}"
        for name in ("HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy"):
            monkeypatch.setenv(name, address)
        for name in ("NO_PROXY", "no_proxy"):
            monkeypatch.delenv(name, raising=False)
        with open_engine("server", bundle) as engine:
            assert engine.evaluate(json.loads(CLEAN.read_text()))["final_action"] == "GO"
            with pytest.raises(socket.timeout):
                connection, _ = proxy.accept()
                connection.close()


@pytest.mark.parametrize("environment, expected_gogc", [({}, GOGC), ({"GOGC": "150"}, "150")])
def test_managed_server_collects_garbage_as_set_unless_the_environment_says(bundle, opa, monkeypatch, environment,
                                                                             expected_gogc):
    monkeypatch.delenv("GOGC", raising=False)
    monkeypatch.delenv("GOMEMLIMIT", raising=False)
    for name, value in environment.items():
        monkeypatch.setenv(name, value)
    with open_engine("server", bundle) as engine:
        variables = Path(f"/proc/{engine.process.pid}/environ").read_bytes().split(b"\0")
        assert f"GOGC={expected_gogc}".encode() in variables
        assert engine.evaluate(json.loads(CLEAN.read_text()))["final_action"] == "GO"


def test_a_killed_regate_takes_its_managed_server_with_it(tmp_path):
    cache = tmp_path / "cache"
    inputs = tmp_path / "inputs"
    inputs.mkdir()
    for i in range(400):
        (inputs / f"{i:03}.json").write_text(VULNERABLE.read_text())
    process = subprocess.Popen([sys.executable, "-m", "regate", "check", "--policy", str(PRODUCTION), "--engine", "server",
                                str(inputs)],
                               env={**os.environ, "REGATE_CACHE_DIR": str(cache), "TMPDIR": str(tmp_path)},
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    # Killed, regate removes nothing: the server's socket directory (emptied by OPA) stays in TMPDIR.
    servers: list[Path] = []
    try:
        servers = _wait_for(lambda: [p for p in Path("/proc").iterdir() if p.name.isdigit() and _cmdline_mentions(p, str(cache))
                                     and pid_alive(int(p.name))])
        assert servers, "the managed server never started"
        process.kill()  # SIGKILL: regate runs no cleanup at all
        process.wait()
        assert _wait_for(lambda: not any(pid_alive(int(p.name)) for p in servers)), "the managed server outlived regate"
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
        for server in servers:  # only after a failure: no test leaves an OPA behind
            if pid_alive(int(server.name)):
                os.kill(int(server.name), signal.SIGKILL)


def _wait_for(condition, timeout: float = 60):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = condition()
        if found:
            return found
        time.sleep(0.05)
    return condition()


def _cmdline_mentions(proc: Path, text: str) -> bool:
    try:
        return text.encode() in (proc / "cmdline").read_bytes()
    except OSError:
        return False


# ------------------------------------------------------------ a server with the bundle


def test_server_that_loads_the_bundle_itself(bundle, expected, opa):
    with opa_server(opa, "--bundle", str(bundle)) as url:
        with_policy = _check("--opa-url", url, "--policy", PRODUCTION)
        assert with_policy.returncode == 1, with_policy.stderr
        assert decisions(with_policy) == expected
        # Without --policy the server's own policy describes the findings.
        without = _check("--opa-url", url)
        assert without.returncode == 1, without.stderr
        assert decisions(without) == expected
        assert report(without)["policy"]["revision"] == report(with_policy)["policy"]["revision"]
        assert report(without)["engine"] == {"name": "server", "opa_version": opa.version, "target": url, "managed": False}


def test_server_with_another_revision_is_refused(bundle, opa, tmp_path):
    other = write_policy(tmp_path / "other", 'policy "p" {\n  rule r stop {\n    when image.user == ""\n    message "m"\n  }\n}\n')
    with opa_server(opa, "--bundle", str(bundle)) as url:
        result = _check("--opa-url", url, "--policy", other)
    assert result.returncode == 2
    assert result.stdout == ""
    assert "serves revision" in result.stderr and "regate push" in result.stderr


def test_server_without_a_regate_policy_fails_closed(opa):
    with opa_server(opa) as url:
        result = _check("--opa-url", url)
    assert result.returncode == 2 and result.stdout == ""
    assert "serves no regate policy" in result.stderr


def test_unreachable_server_fails_closed():

    result = _check("--opa-url", f"http://127.0.0.1:{free_port()}")
    assert result.returncode == 2 and result.stdout == ""
    assert "cannot reach the OPA server" in result.stderr


# ------------------------------------------------------------ regate push


def test_push_then_check_through_the_server(expected, opa, tmp_path):
    with opa_server(opa) as url:
        pushed = regate("push", "--opa-url", url, "--policy", PRODUCTION)
        assert pushed.returncode == 0, pushed.stderr
        assert "pushed revision" in pushed.stderr
        result = _check("--opa-url", url, "--policy", PRODUCTION)
        assert result.returncode == 1, result.stderr
        assert decisions(result) == expected
        # A different policy replaces the old one: its packages go, data.regate follows.
        other = write_policy(tmp_path / "other", 'policy "other" {\n  rule r warn {\n    when image.os == "linux"\n'
                                                 '    message "linux"\n  }\n}\n')
        assert regate("push", "--opa-url", url, "--policy", other).returncode == 0
        policies = {p["id"] for p in requests.get(f"{url}/v1/policies").json()["result"]}
        assert "regate/policies/other" in policies and "regate/policies/production" not in policies
        after = _check("--opa-url", url, "--policy", other)
        assert after.returncode == 0, after.stderr
        assert [d["final_action"] for d in decisions(after)] == ["WARN", "WARN"]


def test_push_to_a_server_whose_bundle_owns_regate_is_refused(bundle, opa):
    with opa_server(opa, "--bundle", str(bundle)) as url:
        result = regate("push", "--opa-url", url, "--policy", PRODUCTION)
    assert result.returncode == 2
    assert "owned by bundle" in result.stderr


# ------------------------------------------------------------ authentication and TLS

AUTHZ = """package system.authz

default allow := false

allow if input.identity == "s3cret-token"

allow if input.path == ["health"]

allow if input.path == ["v1", "config"]
"""


def test_bearer_token(bundle, expected, opa, tmp_path):
    directory = tmp_path / "bundle"
    write_directory(compile_policies([PRODUCTION]), directory)
    (tmp_path / "authz.rego").write_text(AUTHZ)
    with opa_server(opa, "--authentication=token", "--authorization=basic", str(directory), str(tmp_path / "authz.rego")) as url:
        refused = _check("--opa-url", url)
        assert refused.returncode == 2 and refused.stdout == ""
        assert "check --opa-token" in refused.stderr
        accepted = regate("check", "--format", "json", "--now", NOW, "--opa-url", url, VULNERABLE, CLEAN,
                          env={**os.environ, "REGATE_OPA_TOKEN": "s3cret-token"})
        assert accepted.returncode == 1, accepted.stderr
        assert decisions(accepted) == expected


def _openssl(*args: str, cwd: Path) -> None:
    subprocess.run(["openssl", *args], cwd=cwd, check=True, capture_output=True)


@pytest.fixture(scope="module")
def certificates(tmp_path_factory) -> Path:
    """A CA, a server certificate for 127.0.0.1 and a client certificate, all signed by the CA."""
    from support.components import require
    import shutil

    require(shutil.which("openssl") is not None, "openssl")
    root = tmp_path_factory.mktemp("tls")
    _openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "ca.key", "-out", "ca.pem", "-days", "2",
             "-subj", "/CN=regate test CA", cwd=root)
    (root / "server.ext").write_text("subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth\n")
    (root / "client.ext").write_text("extendedKeyUsage=clientAuth\n")
    for name in ("server", "client"):
        _openssl("req", "-newkey", "rsa:2048", "-nodes", "-keyout", f"{name}.key", "-out", f"{name}.csr",
                 "-subj", f"/CN=regate test {name}", cwd=root)
        _openssl("x509", "-req", "-in", f"{name}.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial",
                 "-out", f"{name}.pem", "-days", "2", "-extfile", f"{name}.ext", cwd=root)
    return root


@pytest.fixture
def tls_server(bundle, opa, certificates):
    """An https OPA server that requires a client certificate from the CA."""
    import time


    port = free_port()
    process = subprocess.Popen([opa.path, "run", "--server", "--addr", f"127.0.0.1:{port}", "--log-level", "error",
                                "--tls-cert-file", str(certificates / "server.pem"),
                                "--tls-private-key-file", str(certificates / "server.key"),
                                "--tls-ca-cert-file", str(certificates / "ca.pem"), "--authentication=tls",
                                "--bundle", str(bundle)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        url = f"https://127.0.0.1:{port}"
        deadline = time.monotonic() + 30
        while True:
            try:
                requests.get(f"{url}/health", verify=str(certificates / "ca.pem"),
                             cert=(str(certificates / "client.pem"), str(certificates / "client.key")), timeout=2)
                break
            except requests.exceptions.ConnectionError:
                assert time.monotonic() < deadline and process.poll() is None
                time.sleep(0.05)
        yield url
    finally:
        process.terminate()
        process.wait(10)


def test_mutual_tls(tls_server, certificates, expected):
    client = ["--opa-client-cert", certificates / "client.pem", "--opa-client-key", certificates / "client.key"]
    trusted = _check("--opa-url", tls_server, "--opa-ca-cert", certificates / "ca.pem", *client)
    assert trusted.returncode == 1, trusted.stderr
    assert decisions(trusted) == expected
    # The system CAs do not know the test CA.
    untrusted = _check("--opa-url", tls_server, *client)
    assert untrusted.returncode == 2 and "TLS with the OPA server" in untrusted.stderr
    insecure = _check("--opa-url", tls_server, "--insecure", *client)
    assert insecure.returncode == 1, insecure.stderr
    no_client_cert = _check("--opa-url", tls_server, "--opa-ca-cert", certificates / "ca.pem")
    assert no_client_cert.returncode == 2 and no_client_cert.stdout == ""


def test_tls_options_need_https(certificates):
    result = _check("--opa-url", "http://127.0.0.1:1", "--opa-ca-cert", certificates / "ca.pem")
    assert result.returncode == 2 and "need an https://" in result.stderr


def test_served_revisions_name_bundle_and_push(bundle, opa):
    with opa_server(opa, "--bundle", str(bundle)) as url:
        from regate.engine.server import ServerOptions

        with ServerEngine.connect(ServerOptions(url)) as engine:
            revisions = engine.served_revisions()
            policy = engine.served_policy()
    assert len(revisions) == 1 and policy.revision == revisions[0]
    assert policy.rule("production", "credentials")["action"] == "STOP"
