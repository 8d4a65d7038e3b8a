"""The managed OPA server: `opa run --server --bundle B` on a Unix socket in a
directory of its own, owned by this process, and the engine that asks it
(`ManagedEngine`). It is launched by `opa.launch_servers`: from here, or by the
entry point before the command line is parsed (`regate.early`).

It listens on a socket in a fresh private directory (0700), not on a TCP port:
no other process can take its address before it binds it, nor connect to it
(a loopback port is open to every local user), and the kernel does less per
request than over TCP's loopback (~0.5 of ~10 ms of OPA's CPU and ~0.1 ms of
regate's per 1,000-package document, bench/fleet_bench.py). It is ready once
`GET /health?bundles` answers 200 (the bundle is activated). It runs in a
session of its own and is killed with its whole process group when the engine
closes (SIGKILL: it holds no state worth a graceful stop, and every answer has
been read and checked by then; OPA's graceful shutdown and the polling wait for
it took ~30 ms at the end of every run). On Linux it also gets SIGTERM if
regate itself dies, so a killed CI job leaves no OPA behind. It makes no
request of its own (no version check against GitHub).

Decisions come from OPA's webhook API, `POST /v0/data/regate/decision/main`:
the same query as `POST /v1/data/regate/decision/main`, with the document
itself as the body and the decision itself as the answer. OPA reads a v1 body
three times (it finds the `input` member, then decodes the request, then checks
its keys) and a v0 body once: about 1.3 of the ~10 ms of OPA's CPU per
1,000-package document. regate talks to it through `loopback.Loopback`, not
requests: it is its own server on its own socket, so no proxy (which would see
every input document) nor `.netrc` credentials from the environment are ever used.

Its Go runtime collects garbage a quarter as often as by default (GOGC,
unless the environment sets it or GOMEMLIMIT: `opa.go_environment`): parsing
each posted input allocates anew, and at the default a fifth of the server's
CPU on a batch of 1,000-package documents went to collecting it; the peak memory grows by ~50 MB on such a
batch and by a sixth on a 100,000-package document (bench/fleet_bench.py).
"""

from __future__ import annotations

import subprocess
import time
from pathlib import Path

from ..errors import EngineError
from ..opa import Opa, Server, launch_servers
from . import DEFAULT_TIMEOUT, Engine, EngineInfo, ServerUnavailable
from .decision import validate
from .loopback import BadAnswer, Failure, Loopback
from .shapes import Serialised, input_json, opa_message, parse_answer

READY_TIMEOUT = 30.0
_PROBE_TIMEOUT = 2.0


class ManagedOpa:
    """`opa run --server` on a bundle, owned by this process: launched here, or before the command
    line was parsed (`regate.early`) and adopted."""

    def __init__(self, opa: Opa, bundle: Path, ready_timeout: float = READY_TIMEOUT, server: Server | None = None):
        self.opa = opa
        self.bundle = bundle
        self.ready_timeout = ready_timeout
        self.server = server  # once launched

    @property
    def process(self) -> subprocess.Popen | None:
        return self.server.process if self.server else None

    @property
    def pid(self) -> int | None:
        return self.process.pid if self.process else None

    @property
    def url(self) -> str | None:
        return self.server.address if self.server else None

    def launch(self) -> "ManagedOpa":
        """Starts OPA without waiting for it: it loads the bundle while regate does other work
        (imports its HTTP client, starts the other servers of a pool, reads the first documents)."""
        self.server = launch_servers(self.opa, self.bundle, 1)[0]
        return self

    def start(self) -> str:
        """The server's URL once its bundle is active (launched first if it is not)."""
        if self.server is None:
            self.launch()
        try:
            self._wait_ready(self.url)
        except BaseException:
            self.stop()
            raise
        return self.url

    def _wait_ready(self, url: str) -> None:
        deadline = time.monotonic() + self.ready_timeout
        probe = Loopback(url, _PROBE_TIMEOUT)
        try:
            while time.monotonic() < deadline:
                if self.process.poll() is not None:
                    raise EngineError(f"opa run --server exited with status {self.process.returncode} "
                                      f"before serving {self.bundle}: {self._output()[-800:] or 'no output'}")
                try:
                    if probe.get("/health?bundles=true")[0] == 200:
                        return
                except Failure:
                    pass
                time.sleep(0.01)
        finally:
            probe.close()
        raise EngineError(f"opa run --server did not become ready within {self.ready_timeout:g} s: "
                          f"{self._output()[-800:] or 'no output'}")

    def _output(self) -> str:
        log = self.server.log
        log.seek(0)
        return " ".join(log.read().decode("utf-8", "replace").split())

    def stop(self) -> None:
        if self.server is not None:
            self.server.stop()


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

    def evaluate(self, document: dict | Serialised) -> dict:
        doing = "evaluating data.regate.decision.main"
        try:
            status, body = self.http.post(_WEBHOOK_PATH, input_json(document))
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
    """`count` servers on `bundle`, launched at once (`opa.launch_servers`)."""
    return [ManagedOpa(opa, bundle, server=server) for server in launch_servers(opa, bundle, count)]


def stop_all(servers: list[ManagedOpa]) -> None:
    for server in servers:
        server.stop()
