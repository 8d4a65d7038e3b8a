"""Finding and running the `opa` binary.

Lookup order: $REGATE_OPA, then PATH, then `.tools/bin/opa` of a source
checkout (where `make setup` builds it).
"""

from __future__ import annotations

import ctypes
import hashlib
import os
import re
import select
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from functools import cache
from pathlib import Path
from typing import IO, Any, NamedTuple

from .errors import EngineError, UserError

MINIMUM_VERSION = (1, 0, 0)
# The decision regate asks OPA for, and how long an evaluation may take unless --timeout says.
# Here rather than with the engines: a check's early start (regate.early) evaluates before any of
# the engine's modules, or their imports, are loaded.
QUERY = "data.regate.decision.main"
DEFAULT_TIMEOUT = 60.0
# `opa version` answers in milliseconds; this only stops a binary that hangs.
VERSION_TIMEOUT = 10.0
_CHECKOUT_OPA = Path(__file__).resolve().parent.parent / ".tools" / "bin" / "opa"
_HOW_TO_GET = (
    "set REGATE_OPA to an OPA 1.x binary, put `opa` on PATH, or run `make setup` "
    "(go install github.com/open-policy-agent/opa@v1.22.3)"
)


class OpaNotFound(UserError):
    pass


class Opa(NamedTuple):
    path: str
    version: str

    def run(self, *args: str, input_text: str | None = None, timeout: float = 300,
            cwd: str | None = None) -> subprocess.CompletedProcess[str]:
        """`opa ARGS`, whatever its exit status; EngineError when it cannot start or outlasts `timeout`."""
        try:
            return run_isolated([self.path, *args], input_text, timeout, cwd)
        except subprocess.TimeoutExpired:
            raise EngineError(f"opa {args[0]} did not finish within {timeout:g} s (--timeout)") from None
        except OSError as exc:
            raise self._cannot_run(exc) from None

    def start(self, *args: str, data: bytes, timeout: float) -> Running:
        """`opa ARGS` started on `data`, running until its `finish` (see `Running`): an evaluation's
        document reaches OPA whole, not through a pipe regate keeps filling. EngineError when it
        cannot start."""
        try:
            return Running([self.path, *args], data, timeout)
        except OSError as exc:
            raise self._cannot_run(exc) from None

    def _cannot_run(self, exc: OSError) -> EngineError:
        return EngineError(f"cannot run {self.path}: {exc.strerror or exc}")


def eval_args(bundle: Path) -> tuple[str, ...]:
    """`opa eval` of the decision on `bundle`, the input document on standard input."""
    return "eval", "--format", "json", "--bundle", str(bundle), "--stdin-input", QUERY


def run_isolated(argv: list[str], input_text: str | None = None, timeout: float | None = None,
                 cwd: str | None = None) -> subprocess.CompletedProcess[str]:
    """`subprocess.run` for programs regate must be able to stop: the program runs in a
    session of its own, and a timeout or an interruption kills that whole process group.
    Killing only the direct child (what subprocess.run does) leaves whatever it started
    running, holding the output pipes open. Raises subprocess.TimeoutExpired."""
    stdin = subprocess.PIPE if input_text is not None else subprocess.DEVNULL
    with start_isolated(argv, stdin=stdin, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                        cwd=cwd) as process:
        try:
            stdout, stderr = process.communicate(input_text, timeout=timeout)
        except BaseException:
            kill_group(process, signal.SIGKILL)
            raise
    return subprocess.CompletedProcess(argv, process.returncode, stdout, stderr)


# Go collects garbage each time the heap has grown by GOGC percent since the last collection.
GOGC = "400"


def go_environment() -> dict[str, str] | None:
    """The environment OPA runs in: the user's, with Go collecting garbage a quarter as often as
    by default (GOGC) unless the user set GOGC or GOMEMLIMIT. An `opa eval` keeps most of what it
    allocates until it exits (the bundle, the input, the decision), so a collection mostly walks
    live data: ~10% of its CPU on 10,000 packages, with the same peak memory at 10,000 and
    100,000 packages. A managed server's collections mostly walk the bundle while each posted
    document is garbage (managed.py). None: regate's own environment as it is."""
    if "GOGC" in os.environ or "GOMEMLIMIT" in os.environ:
        return None
    return dict(os.environ, GOGC=GOGC)


def start_isolated(argv: list[str], **popen: Any) -> subprocess.Popen:
    """`subprocess.Popen(argv, **popen)` of an OPA regate must be able to stop: in a session of
    its own (`kill_group` stops it with whatever it started), asked to die with regate, and in
    OPA's environment (`go_environment`)."""
    return subprocess.Popen(argv, start_new_session=True, preexec_fn=die_with_parent, env=go_environment(), **popen)


# The longest path a Unix socket may have (sun_path: 108 bytes with its final NUL on Linux).
_SOCKET_PATH_MAX = 107
_SOCKET = "opa.sock"
# How a server's address on a Unix socket is written, as OPA's --addr takes it: unix:///path/to/socket.
SCHEME = "unix://"


class Server(NamedTuple):
    """`opa run --server` on `bundle` (`launch_servers`), listening at `address` once the bundle is
    loaded. Here rather than with the engine that asks it (`regate.engine.managed`): a batch
    check's early start (regate.early) launches it before the engine's modules are loaded."""
    opa: Opa
    bundle: Path
    process: subprocess.Popen
    # Private (0700), holds the socket; removed when the server stops.
    directory: Path
    # Its socket's, as OPA's --addr takes it.
    address: str
    # OPA's output, for the message when it does not start.
    log: IO[bytes]

    def stop(self) -> None:
        """Kill it with whatever it started (SIGKILL: it holds no state worth a graceful stop) and
        remove its directory. Safe to call again."""
        if self.process.poll() is None:
            kill_group(self.process, signal.SIGKILL)
            self.process.wait()
        self.log.close()
        shutil.rmtree(self.directory, ignore_errors=True)


def launch_servers(opa: Opa, bundle: Path, count: int) -> list[Server]:
    """`count` servers on `bundle`, launched without waiting for them: they load the bundle while
    regate does other work. From this thread: a server is told to stop when the thread that
    launched it ends (PR_SET_PDEATHSIG follows the thread). If one cannot be launched, those
    already launched are stopped (EngineError)."""
    launched: list[Server] = []
    try:
        for _ in range(count):
            launched.append(_launch_server(opa, bundle))
    except BaseException:
        for server in launched:
            server.stop()
        raise
    return launched


def _launch_server(opa: Opa, bundle: Path) -> Server:
    try:
        directory = socket_directory()
    except OSError as exc:
        raise EngineError(f"cannot make a directory for the OPA server's socket: {exc.strerror or exc}") from None
    # A signed bundle is verified by regate before it gets here (`--verification-key`), as `opa eval`
    # (the cli engine) never verifies; without --skip-verify OPA would refuse any signed bundle.
    # --skip-version-check: `opa run` would otherwise ask GitHub for OPA's latest release as it starts,
    # from every CI run and every server of a pool.
    address = SCHEME + str(directory / _SOCKET)
    args = [opa.path, "run", "--server", "--addr", address, "--skip-verify", "--skip-version-check",
            "--log-level", "error", "--bundle", str(bundle)]
    log = tempfile.TemporaryFile()
    try:
        process = start_isolated(args, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT)
    except OSError as exc:
        log.close()
        shutil.rmtree(directory, ignore_errors=True)
        raise opa._cannot_run(exc) from None
    return Server(opa, bundle, process, directory, address, log)


def socket_directory() -> Path:
    """A new private directory for a server's socket: in the temporary directory, or in /tmp when
    that one's path is too long for a socket's."""
    directory = Path(tempfile.mkdtemp(prefix="regate-opa-"))
    if len(str(directory / _SOCKET).encode()) > _SOCKET_PATH_MAX:
        directory.rmdir()
        directory = Path(tempfile.mkdtemp(prefix="regate-opa-", dir="/tmp"))
    return directory


class Running:
    """`argv` started on `data` (its standard input) to run while regate does other work. Input
    and output are anonymous files, so no pipe needs a thread to keep the program going; `finish`
    waits for it, `timeout` seconds after the start at most, and `cancel` stops it with all it
    started. Either is safe to call again."""

    def __init__(self, argv: list[str], data: bytes, timeout: float):
        self.timeout = timeout
        self._deadline = time.monotonic() + timeout
        self._output = [_memory_file(), _memory_file()]
        try:
            with _memory_file() as stdin:  # the program's copy of the descriptor keeps the data until it ends
                stdin.write(data)
                stdin.seek(0)
                self._process = start_isolated(argv, stdin=stdin, stdout=self._output[0], stderr=self._output[1])
        except BaseException:
            self._close()
            raise

    def finish(self) -> subprocess.CompletedProcess[str]:
        """The program's exit status and output; EngineError (the program stopped) past the deadline."""
        try:
            returncode = _wait(self._process, max(0.0, self._deadline - time.monotonic()))
            stdout, stderr = (_contents(file) for file in self._output)
        except subprocess.TimeoutExpired:
            raise EngineError(f"opa {self._process.args[1]} did not finish within {self.timeout:g} s "
                              "(--timeout)") from None
        finally:
            self.cancel()
        return subprocess.CompletedProcess(self._process.args, returncode, stdout, stderr)

    def cancel(self) -> None:
        """Stop the program (and whatever it started) if it still runs, and drop what it wrote unread."""
        if self._process.poll() is None:
            kill_group(self._process, signal.SIGKILL)
            self._process.wait()
        self._close()

    def _close(self) -> None:
        for file in self._output:
            file.close()


def _memory_file() -> IO[bytes]:
    """An anonymous file, in memory where the system can."""
    if hasattr(os, "memfd_create"):
        return os.fdopen(os.memfd_create("regate-opa"), "w+b")
    return tempfile.TemporaryFile()


def _contents(file: IO[bytes]) -> str:
    file.seek(0)
    return file.read().decode()


def _wait(process: subprocess.Popen, timeout: float) -> int:
    """`process.wait(timeout)` without its polling, which returns up to 50 ms after the exit."""
    try:
        handle = os.pidfd_open(process.pid)
    except (AttributeError, OSError):  # not Linux 5.3 or later
        return process.wait(timeout)
    try:
        if not select.select([handle], [], [], timeout)[0]:
            raise subprocess.TimeoutExpired(process.args, timeout)
    finally:
        os.close(handle)
    return process.wait()


def kill_group(process: subprocess.Popen, sig: int) -> None:
    """Signal the process group `process` leads (it was started with start_new_session).
    Only called before the leader is reaped, so its id cannot have been reused."""
    try:
        os.killpg(process.pid, sig)
    except ProcessLookupError:
        pass


def die_with_parent() -> None:
    """In a child before exec: SIGTERM when regate dies, however it dies (Linux only)."""
    if sys.platform == "linux":
        PR_SET_PDEATHSIG = 1
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGTERM)


def _candidates() -> list[tuple[str, str]]:
    found = []
    if env := os.environ.get("REGATE_OPA"):
        found.append(("REGATE_OPA", env))
    if on_path := shutil.which("opa"):
        found.append(("PATH", on_path))
    if _CHECKOUT_OPA.exists():
        found.append((".tools/bin", str(_CHECKOUT_OPA)))
    return found


def _version_of(path: str) -> str:
    """The version `opa version` prints, remembered in the cache directory for this very file
    (by its path, size, modification time and inode): running it costs every `regate check`
    tens of milliseconds."""
    from .cache import cache_dir

    try:
        found = os.stat(path)
    except OSError as exc:
        raise OpaNotFound(f"cannot run OPA at {path}: {exc.strerror}; {_HOW_TO_GET}") from None
    identity = f"{os.path.realpath(path)}\0{found.st_size}\0{found.st_mtime_ns}\0{found.st_ino}\0{found.st_dev}"
    remembered = cache_dir() / "opa" / hashlib.sha256(identity.encode()).hexdigest()[:32]
    try:
        return remembered.read_text("utf-8")
    except (OSError, UnicodeDecodeError):
        pass
    version = _asked_version(path, identity)
    from .atomic import write_atomically  # a remembered version, before a check's OPA starts, writes nothing

    try:
        write_atomically(remembered, version, make_parents=True)
    except Exception:  # noqa: BLE001 - an unwritable cache only costs the next run the question
        pass
    return version


def _asked_version(path: str, identity: str) -> str:
    answer = _answer_to_version(path, identity)
    if isinstance(answer, OpaNotFound):
        raise OpaNotFound(str(answer))
    return answer


@cache
def _answer_to_version(path: str, identity: str) -> str | OpaNotFound:
    """What `opa version` of the file `identity` names says, or why it says nothing useful: asked
    once per run, as a program that does not answer costs VERSION_TIMEOUT each time it is asked."""
    try:
        out = run_isolated([path, "version"], timeout=VERSION_TIMEOUT)
    except subprocess.TimeoutExpired:
        return OpaNotFound(f"{path} did not answer `opa version` within {VERSION_TIMEOUT:g} s; {_HOW_TO_GET}")
    except OSError as exc:
        return OpaNotFound(f"cannot run OPA at {path}: {exc.strerror}; {_HOW_TO_GET}")
    match = re.search(r"^Version:\s*v?(\S+)", out.stdout, re.M)
    if out.returncode != 0 or not match:
        return OpaNotFound(f"{path} does not look like OPA (`opa version` failed); {_HOW_TO_GET}")
    return match.group(1)


def _parse(version: str) -> tuple[int, ...]:
    return tuple(int(p) for p in re.findall(r"\d+", version)[:3])


@cache
def find_opa() -> Opa:
    candidates = _candidates()
    if not candidates:
        raise OpaNotFound(f"OPA not found; {_HOW_TO_GET}")
    origin, path = candidates[0]
    version = _version_of(path)
    if _parse(version) < MINIMUM_VERSION:
        wanted = ".".join(map(str, MINIMUM_VERSION))
        raise OpaNotFound(f"OPA {version} at {path} (from {origin}) is too old, regate needs {wanted} or newer; {_HOW_TO_GET}")
    return Opa(path=path, version=version)
