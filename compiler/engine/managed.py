"""The managed OPA server: `opa run --server --bundle B` on a Unix socket in a
directory of its own, owned by this process, and the engine that asks it
(`ManagedEngine`).

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

import shutil
import signal
import subprocess
import tempfile
import time
from pathlib import Path

from ..errors import EngineError
from ..opa import Opa, kill_group, start_isolated
from . import DEFAULT_TIMEOUT, Engine, EngineInfo, ServerUnavailable
from .decision import validate
from .loopback import SCHEME, BadAnswer, Failure, Loopback
from .shapes import Serialised, input_json, opa_message, parse_answer

READY_TIMEOUT = 30.0
_PROBE_TIMEOUT = 2.0
# The longest path a Unix socket may have (sun_path: 108 bytes with its final NUL on Linux).
_SOCKET_PATH_MAX = 107


def socket_directory() -> Path:
    """A new private directory for a server's socket: in the temporary directory, or in /tmp when
    that one's path is too long for a socket's."""
    directory = Path(tempfile.mkdtemp(prefix="regate-opa-"))
    if len(str(directory / "opa.sock").encode()) > _SOCKET_PATH_MAX:
        directory.rmdir()
        directory = Path(tempfile.mkdtemp(prefix="regate-opa-", dir="/tmp"))
    return directory


class ManagedOpa:
    """`opa run --server` on a bundle, owned by this process."""

    def __init__(self, opa: Opa, bundle: Path, ready_timeout: float = READY_TIMEOUT):
        self.opa = opa
        self.bundle = bundle
        self.ready_timeout = ready_timeout
        self.process: subprocess.Popen | None = None
        self.log = None
        self.directory: Path | None = None  # holds its socket
        self.url: str | None = None  # where it was launched

    @property
    def pid(self) -> int | None:
        return self.process.pid if self.process else None

    def launch(self) -> "ManagedOpa":
        """Starts OPA without waiting for it: it loads the bundle while regate does other work
        (imports its HTTP client, starts the other servers of a pool, reads the first documents)."""
        try:
            self.directory = socket_directory()
        except OSError as exc:
            raise EngineError(f"cannot make a directory for the OPA server's socket: {exc.strerror or exc}") from None
        self.url = SCHEME + str(self.directory / "opa.sock")
        self._spawn(self.url)
        return self

    def start(self) -> str:
        """The server's URL once its bundle is active (launched first if it is not)."""
        if self.url is None:
            self.launch()
        try:
            self._wait_ready(self.url)
        except BaseException:
            self.stop()
            raise
        return self.url

    def _spawn(self, url: str) -> None:
        self.log = tempfile.TemporaryFile()
        # A signed bundle is verified by regate before it gets here (`--verification-key`), as `opa eval`
        # (the cli engine) never verifies; without --skip-verify OPA would refuse any signed bundle.
        # --skip-version-check: `opa run` would otherwise ask GitHub for OPA's latest release as it starts,
        # from every CI run and every server of a pool.
        args = [self.opa.path, "run", "--server", "--addr", url, "--skip-verify", "--skip-version-check",
                "--log-level", "error", "--bundle", str(self.bundle)]
        try:
            self.process = start_isolated(args, stdin=subprocess.DEVNULL, stdout=self.log, stderr=subprocess.STDOUT)
        except OSError as exc:
            self.stop()
            raise EngineError(f"cannot run {self.opa.path}: {exc.strerror or exc}") from None

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
        self.log.seek(0)
        return " ".join(self.log.read().decode("utf-8", "replace").split())

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            kill_group(self.process, signal.SIGKILL)
            self.process.wait()
        if self.log is not None:
            self.log.close()
        if self.directory is not None:
            shutil.rmtree(self.directory, ignore_errors=True)


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
