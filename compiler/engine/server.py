"""The OPA server engine: `POST /v1/data/regate/decision/main` through
opa-python-client, on a server the user runs or on a managed local one.

A managed server is `opa run --server --bundle B` on a free loopback port,
ready once `GET /health?bundles` answers 200 (the bundle is activated) and
`GET /v1/config` shows the label regate gave it (so another server that took
the port first is never mistaken for it), and stopped by PID when the engine closes: terminate, then kill after a grace
period. On Linux it also gets SIGTERM if regate itself dies, so a killed CI
job leaves no OPA behind.
"""

from __future__ import annotations

import ctypes
import re
import secrets
import signal
import socket
import subprocess
import sys
import tempfile
import time
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import requests
from opa_client import OpaClient
from opa_client.errors import ConnectionsError, PolicyNotFoundError, RegoParseError

from ..errors import EngineError, UserError
from ..opa import Opa
from . import DEFAULT_TIMEOUT, Engine, EngineInfo
from .decision import validate
from .policy import PolicyInfo

READY_TIMEOUT = 30.0
STOP_GRACE = 5.0
_PORT_ATTEMPTS = 3
# opa-python-client's get_data reports an undefined document with this code.
_UNDEFINED = "PolicyNotFoundError"


@dataclass(frozen=True)
class ServerOptions:
    url: str
    token: str | None = None
    ca_cert: str | None = None
    client_cert: str | None = None
    client_key: str | None = None
    insecure: bool = False
    timeout: float = DEFAULT_TIMEOUT


def _client(options: ServerOptions, retries: int = 2) -> OpaClient:
    parts = urlsplit(options.url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise UserError(f"--opa-url {options.url!r}: give the server's root URL, http(s)://HOST[:PORT]")
    if parts.path not in ("", "/") or parts.query or parts.fragment:
        raise UserError(f"--opa-url {options.url!r}: give the server's root URL; regate adds /v1/... itself")
    if parts.username or parts.password:
        raise UserError("--opa-url must not carry credentials; use --opa-token (or REGATE_OPA_TOKEN)")
    https = parts.scheme == "https"
    if not https and (options.ca_cert or options.client_cert or options.insecure):
        raise UserError("--opa-ca-cert, --opa-client-cert and --insecure need an https:// --opa-url")
    if options.client_key and not options.client_cert:
        raise UserError("--opa-client-key needs --opa-client-cert")
    host = f"[{parts.hostname}]" if ":" in parts.hostname else parts.hostname
    cert = (options.client_cert, options.client_key) if options.client_key else options.client_cert
    client = OpaClient(host=host, port=parts.port or (443 if https else 80), ssl=(options.ca_cert or True) if https else False,
                       cert=cert, token=options.token, timeout=options.timeout, retries=retries)
    if https and (options.ca_cert or options.insecure):
        # The client ties https to verification (`ssl` is both), so --insecure
        # needs the session itself; --opa-ca-cert is set there too because
        # requests lets REQUESTS_CA_BUNDLE override a session's `verify`
        # (psf/requests#3829), and an explicit option must win.
        _pin_verify(client._session, False if options.insecure else options.ca_cert)
    return client


def _pin_verify(session: requests.Session, verify: bool | str) -> None:
    merge = session.merge_environment_settings

    def merged(*args, **kwargs):
        settings = merge(*args, **kwargs)
        settings["verify"] = verify
        return settings

    session.merge_environment_settings = merged
    if verify is False:
        import urllib3

        urllib3.disable_warnings(urllib3.exceptions.InsecureRequestWarning)


def _opa_message(response: requests.Response | None) -> str:
    if response is None:
        return ""
    try:
        body = response.json()
        return str(body.get("message") or body)
    except ValueError:
        return " ".join(response.text.split())[:300]


class ServerEngine(Engine):
    def __init__(self, client: OpaClient, url: str, opa_version: str, timeout: float, process: "ManagedOpa | None" = None):
        self.client = client
        self.url = url
        self.opa_version = opa_version
        self.timeout = timeout
        self.process = process

    @classmethod
    def connect(cls, options: ServerOptions) -> "ServerEngine":
        client = _client(options)
        engine = cls(client, options.url.rstrip("/"), "unknown", options.timeout)
        try:
            engine.opa_version = engine._version()
        except BaseException:
            engine.close()
            raise
        return engine

    @classmethod
    def managed(cls, bundle: Path, opa: Opa, timeout: float = DEFAULT_TIMEOUT) -> "ServerEngine":
        process = ManagedOpa(opa, bundle)
        url = process.start()
        try:
            # A local server: a refused connection is a real failure, not something to retry.
            client = _client(ServerOptions(url, timeout=timeout), retries=0)
        except BaseException:
            process.stop()
            raise
        return cls(client, url, opa.version, timeout, process)

    def describe(self) -> EngineInfo:
        return EngineInfo("server", self.opa_version, self.url, managed=self.process is not None)

    @contextmanager
    def request(self, doing: str):
        """Turns every way a request can fail into an EngineError saying what regate was doing."""
        where = f"the OPA server at {self.url}"
        try:
            yield
        except requests.exceptions.SSLError as exc:
            raise EngineError(f"TLS with {where} failed while {doing}: {_reason(exc)}; "
                              "check --opa-ca-cert and --opa-client-cert/--opa-client-key") from None
        except requests.exceptions.Timeout:
            raise EngineError(f"{where} did not answer within {self.timeout:g} s while {doing} (--timeout)") from None
        except requests.exceptions.ConnectionError as exc:
            raise EngineError(f"cannot reach {where} while {doing}: {_reason(exc)}") from None
        except requests.exceptions.HTTPError as exc:
            status = exc.response.status_code if exc.response is not None else "?"
            hint = "; check --opa-token" if status in (401, 403) else ""
            raise EngineError(f"{where} answered HTTP {status} while {doing}: {_opa_message(exc.response)}{hint}") from None
        except RegoParseError as exc:
            details = "; ".join(e.get("message", "") for e in exc.errors if isinstance(e, dict))
            raise EngineError(f"{where} refused {doing}: {exc.message}{': ' + details if details else ''}") from None
        except (ConnectionsError, PolicyNotFoundError) as exc:
            hint = "; check --opa-token" if exc.expression in ("unauthorized", "forbidden") else ""
            raise EngineError(f"{where} refused {doing}: {exc.message or exc.expression}{hint}") from None
        except requests.exceptions.RequestException as exc:
            raise EngineError(f"request to {where} failed while {doing}: {_reason(exc)}") from None
        except ValueError:
            raise EngineError(f"{where} answered something that is not JSON while {doing}") from None

    def evaluate(self, document: dict) -> dict:
        with self.request("evaluating data.regate.decision.main"):
            response = self.client.query_rule(document, "regate.decision", "main")
        if not isinstance(response, dict):
            raise EngineError(f"the OPA server at {self.url} answered an unexpected document")
        return validate(response.get("result"), f"the OPA server at {self.url}")

    def data(self, path: str):
        """`data.<path>` on the server (path with `/`), or None when undefined."""
        with self.request(f"reading data.{path.replace('/', '.')}"):
            try:
                return self.client.get_data(path)["result"]
            except PolicyNotFoundError as exc:
                if exc.expression == _UNDEFINED:
                    return None
                raise

    def served_revisions(self) -> list[str]:
        """Revisions of the regate policy the server has: its bundles' and the last `regate push`'s."""
        found = []
        for bundle in (self.data("system/bundles") or {}).values():
            revision = (bundle.get("manifest") or {}).get("revision") if isinstance(bundle, dict) else None
            if revision:
                found.append(str(revision))
        pushed = self.data("regate/push")
        if isinstance(pushed, dict) and pushed.get("revision"):
            found.append(str(pushed["revision"]))
        return sorted(set(found))

    def require_revision(self, expected: str) -> None:
        served = self.served_revisions()
        if expected in served:
            return
        what = f"revision {', '.join(r[:12] for r in served)}" if served else "no regate bundle or pushed policy it can name"
        raise EngineError(f"the OPA server at {self.url} serves {what}, but the --policy sources compile to revision "
                          f"{expected[:12]}; run `regate push` or update the server's bundle")

    def served_policy(self) -> PolicyInfo:
        config = self.data("regate/config")
        if not isinstance(config, dict):
            raise EngineError(f"the OPA server at {self.url} has no data.regate.config: it serves no regate policy "
                              "(load a regate bundle into it or run `regate push`)")
        revisions = self.served_revisions()
        return PolicyInfo(revisions[0] if len(revisions) == 1 else "", config)

    def _version(self) -> str:
        with self.request("asking its version"):
            try:
                rows = self.client.ad_hoc_query("v := opa.runtime().version").get("result") or []
            except requests.exceptions.HTTPError as exc:
                # Servers with an authorization policy may refuse ad hoc queries; the version is only reported.
                if exc.response is not None and exc.response.status_code in (401, 403):
                    return "unknown"
                raise
        return str(rows[0].get("v", "unknown")) if rows else "unknown"

    def close(self) -> None:
        try:
            self.client.close_connection()
        finally:
            if self.process is not None:
                self.process.stop()


def _reason(exc: Exception) -> str:
    text = str(exc.args[0] if exc.args else exc)
    if "Caused by" in text:
        # urllib3 wraps the cause in a long repr; its last part is the readable one.
        text = text.rsplit(": ", 1)[-1]
    return re.sub(r"\s*\(_ssl\.c:\d+\)", "", text).rstrip(")'\" ")


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _die_with_parent() -> None:
    PR_SET_PDEATHSIG = 1
    ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGTERM)


class ManagedOpa:
    """`opa run --server` on a bundle, owned by this process."""

    def __init__(self, opa: Opa, bundle: Path, ready_timeout: float = READY_TIMEOUT):
        self.opa = opa
        self.bundle = bundle
        self.ready_timeout = ready_timeout
        self.process: subprocess.Popen | None = None
        self.log = None
        self.instance = secrets.token_hex(8)

    @property
    def pid(self) -> int | None:
        return self.process.pid if self.process else None

    def start(self) -> str:
        """The server's URL once its bundle is active. Another process may take the
        probed port before OPA binds it; then OPA exits and a new port is tried."""
        for _ in range(_PORT_ATTEMPTS):
            url = f"http://127.0.0.1:{free_port()}"
            self._spawn(url)
            try:
                if self._wait_ready(url):
                    return url
            except BaseException:
                self.stop()
                raise
            self.stop()
        raise EngineError(f"opa run --server could not bind a loopback port in {_PORT_ATTEMPTS} attempts")

    def _spawn(self, url: str) -> None:
        self.log = tempfile.TemporaryFile()
        args = [self.opa.path, "run", "--server", "--addr", url.removeprefix("http://"),
                "--log-level", "error", "--set", f"labels.regate_instance={self.instance}", "--bundle", str(self.bundle)]
        try:
            self.process = subprocess.Popen(args, stdin=subprocess.DEVNULL, stdout=self.log, stderr=subprocess.STDOUT,
                                            preexec_fn=_die_with_parent if sys.platform == "linux" else None)
        except OSError as exc:
            self.log.close()
            raise EngineError(f"cannot run {self.opa.path}: {exc.strerror or exc}") from None

    def _wait_ready(self, url: str) -> bool:
        """True when ready, False when OPA lost the port race; EngineError for anything else."""
        deadline = time.monotonic() + self.ready_timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                output = self._output()
                if "address already in use" in output:
                    return False
                raise EngineError(f"opa run --server exited with status {self.process.returncode} "
                                  f"before serving {self.bundle}: {output[-800:] or 'no output'}")
            try:
                if requests.get(f"{url}/health", params={"bundles": "true"}, timeout=2).status_code == 200:
                    labels = requests.get(f"{url}/v1/config", timeout=2).json().get("result", {}).get("labels", {})
                    # Another process holds the port: ours will exit, a new port is tried.
                    return labels.get("regate_instance") == self.instance
            except (requests.exceptions.RequestException, ValueError, AttributeError):
                pass
            time.sleep(0.02)
        raise EngineError(f"opa run --server did not become ready within {self.ready_timeout:g} s: "
                          f"{self._output()[-800:] or 'no output'}")

    def _output(self) -> str:
        self.log.seek(0)
        return " ".join(self.log.read().decode("utf-8", "replace").split())

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(STOP_GRACE)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        if self.log is not None:
            self.log.close()
