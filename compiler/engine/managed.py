"""The managed OPA server: `opa run --server --bundle B` on a free loopback
port, owned by this process, and the engine that asks it (`ManagedEngine`).

It is ready once `GET /health?bundles` answers 200 (the bundle is activated)
and `GET /v1/config` shows the label regate gave it (so another server that
took the port first is never mistaken for it). It runs in a session of its
own and is killed with its whole process group when the engine closes (SIGKILL:
it holds no state worth a graceful stop, and every answer has been read and
checked by then; OPA's graceful shutdown and the polling wait for it took
~30 ms at the end of every run). On Linux it also gets SIGTERM if regate
itself dies, so a killed CI job leaves no OPA behind. It makes no
request of its own (no version check against GitHub).

Decisions come from OPA's webhook API, `POST /v0/data/regate/decision/main`:
the same query as `POST /v1/data/regate/decision/main`, with the document
itself as the body and the decision itself as the answer. OPA reads a v1 body
three times (it finds the `input` member, then decodes the request, then checks
its keys) and a v0 body once: about 1.3 of the ~10 ms of OPA's CPU per
1,000-package document. regate talks to it through `loopback.Loopback`, not
requests: it is its own server on loopback, so no proxy (which would see every
input document) nor `.netrc` credentials from the environment are ever used.

Its Go runtime collects garbage a quarter as often as by default (GOGC,
unless the environment sets it or GOMEMLIMIT: `opa.go_environment`): parsing
each posted input allocates anew, and at the default a fifth of the server's
CPU on a batch of 1,000-package documents went to collecting it; the peak memory grows by ~50 MB on such a
batch and by a sixth on a 100,000-package document (bench/fleet_bench.py).
"""

from __future__ import annotations

import secrets
import signal
import socket
import subprocess
import tempfile
import time
from pathlib import Path

from ..errors import EngineError
from ..opa import Opa, kill_group, start_isolated
from . import DEFAULT_TIMEOUT, Engine, EngineInfo, ServerUnavailable
from .decision import validate
from .loopback import BadAnswer, Failure, Loopback
from .shapes import json_body, opa_message, parse_answer

READY_TIMEOUT = 30.0
_PROBE_TIMEOUT = 2.0
_PORT_ATTEMPTS = 3


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class ManagedOpa:
    """`opa run --server` on a bundle, owned by this process."""

    def __init__(self, opa: Opa, bundle: Path, ready_timeout: float = READY_TIMEOUT):
        self.opa = opa
        self.bundle = bundle
        self.ready_timeout = ready_timeout
        self.process: subprocess.Popen | None = None
        self.log = None
        # Not digits alone: OPA reads a `--set` value that looks like a number as one, and a number is
        # no label (the server would refuse its own configuration).
        self.instance = "regate-" + secrets.token_hex(8)
        self.url: str | None = None  # where it was launched

    @property
    def pid(self) -> int | None:
        return self.process.pid if self.process else None

    def launch(self) -> "ManagedOpa":
        """Starts OPA on a free port without waiting for it: it loads the bundle while regate
        does other work (imports its HTTP client, starts the other servers of a pool)."""
        self.url = f"http://127.0.0.1:{free_port()}"
        self._spawn(self.url)
        return self

    def start(self) -> str:
        """The server's URL once its bundle is active (launched first if it is not). Another
        process may take the probed port before OPA binds it; then OPA exits and a new port is tried."""
        for _ in range(_PORT_ATTEMPTS):
            if self.url is None:
                self.launch()
            try:
                if self._wait_ready(self.url):
                    return self.url
            except BaseException:
                self.stop()
                raise
            self.stop()
            self.url = None
        raise EngineError(f"opa run --server could not bind a loopback port in {_PORT_ATTEMPTS} attempts")

    def _spawn(self, url: str) -> None:
        self.log = tempfile.TemporaryFile()
        # A signed bundle is verified by regate before it gets here (`--verification-key`), as `opa eval`
        # (the cli engine) never verifies; without --skip-verify OPA would refuse any signed bundle.
        # --skip-version-check: `opa run` would otherwise ask GitHub for OPA's latest release as it starts,
        # from every CI run and every server of a pool.
        args = [self.opa.path, "run", "--server", "--addr", url.removeprefix("http://"), "--skip-verify",
                "--skip-version-check", "--log-level", "error", "--set", f"labels.regate_instance={self.instance}",
                "--bundle", str(self.bundle)]
        try:
            self.process = start_isolated(args, stdin=subprocess.DEVNULL, stdout=self.log, stderr=subprocess.STDOUT)
        except OSError as exc:
            self.log.close()
            raise EngineError(f"cannot run {self.opa.path}: {exc.strerror or exc}") from None

    def _wait_ready(self, url: str) -> bool:
        """True when ready, False when OPA lost the port race; EngineError for anything else."""
        deadline = time.monotonic() + self.ready_timeout
        probe = Loopback(url, _PROBE_TIMEOUT)
        try:
            while time.monotonic() < deadline:
                if self.process.poll() is not None:
                    output = self._output()
                    if "address already in use" in output:
                        return False
                    raise EngineError(f"opa run --server exited with status {self.process.returncode} "
                                      f"before serving {self.bundle}: {output[-800:] or 'no output'}")
                try:
                    if probe.get("/health?bundles=true")[0] == 200:
                        labels = parse_answer(probe.get("/v1/config")[1]).get("result", {}).get("labels", {})
                        # Another process holds the port: ours will exit, a new port is tried.
                        return labels.get("regate_instance") == self.instance
                except (*Failure, ValueError, AttributeError):
                    pass
                time.sleep(0.01)
        finally:
            probe.close()
        raise EngineError(f"opa run --server did not become ready within {self.ready_timeout:g} s: "
                          f"{self._output()[-800:] or 'no output'}")

    def _output(self) -> str:
        self.log.seek(0)
        return " ".join(self.log.read().decode("utf-8", "replace").split())

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            kill_group(self.process, signal.SIGKILL)
            self.process.wait()
        if self.log is not None:
            self.log.close()


class ManagedEngine(Engine):
    """Decisions from a managed server, which the engine stops when it closes."""

    def __init__(self, process: ManagedOpa, timeout: float = DEFAULT_TIMEOUT):
        self.process = process
        self.url = process.url
        self.timeout = timeout
        self.http = Loopback(process.url, timeout)

    @classmethod
    def serving(cls, process: ManagedOpa, timeout: float = DEFAULT_TIMEOUT) -> "ManagedEngine":
        """The engine on `process` (launched or not), once its bundle is active."""
        process.start()
        return cls(process, timeout)

    @property
    def where(self) -> str:
        return f"the OPA server at {self.url}"

    def describe(self) -> EngineInfo:
        return EngineInfo("server", self.process.opa.version, self.url, managed=True)

    def evaluate(self, document: dict) -> dict:
        doing = "evaluating data.regate.decision.main"
        try:
            status, body = self.http.post(_WEBHOOK_PATH, json_body(document))
        except TimeoutError:
            raise ServerUnavailable(f"{self.where} did not answer within {self.timeout:g} s while {doing} "
                                    "(--timeout)") from None
        except BadAnswer as exc:
            raise EngineError(f"{self.where} answered {exc} while {doing}") from None
        except Failure as exc:
            raise ServerUnavailable(f"cannot reach {self.where} while {doing}: {_reason(exc)}") from None
        if status == 200:
            try:
                answer = parse_answer(body)
            except ValueError:
                raise EngineError(f"{self.where} answered something that is not JSON while {doing}") from None
            return validate(answer, self.where)
        if status == 404 and _undefined(body):  # where v1 answers `{}`
            return validate(None, self.where)
        failure = ServerUnavailable if status >= 500 else EngineError
        raise failure(f"{self.where} answered HTTP {status} while {doing}: {opa_message(body)}")

    def close(self) -> None:
        try:
            self.http.close()
        finally:
            self.process.stop()


_WEBHOOK_PATH = "/v0/data/regate/decision/main"


def _undefined(body: bytes) -> bool:
    """Whether a webhook answer says the decision is undefined."""
    try:
        return parse_answer(body).get("code") == "undefined_document"
    except (ValueError, AttributeError):
        return False


def _reason(exc: BaseException) -> str:
    return getattr(exc, "strerror", None) or str(exc) or type(exc).__name__


def launch(opa: Opa, bundle: Path, count: int) -> list[ManagedOpa]:
    """`count` servers on `bundle`, launched at once from this thread (a managed server is told to
    stop when the thread that started it ends: PR_SET_PDEATHSIG follows the thread); if one cannot
    be, those already launched are stopped."""
    launched: list[ManagedOpa] = []
    try:
        for _ in range(count):
            launched.append(ManagedOpa(opa, bundle).launch())
    except BaseException:
        stop_all(launched)
        raise
    return launched


def stop_all(servers: list[ManagedOpa]) -> None:
    for server in servers:
        server.stop()
