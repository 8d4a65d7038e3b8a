"""A pool of OPA servers for batch evaluation: a fleet the user runs (`--opa-url`
given several times) or N managed local servers (`--workers N`).

Each server has one client (one keep-alive connection pool) and takes at most
`REQUESTS_PER_SERVER` requests at a time; worker threads build a document just
before it is sent, so memory holds only the documents in flight. A server that
does not answer (refused, broken off, timed out, 5xx) is taken out of the pool
for the rest of the run and the document goes to the next one; when no server
is left, every document not evaluated is named in one EngineError (fail
closed). Anything else (a refused input, a decision that contradicts itself)
fails that document on every server alike, so it is not retried.
Results come back in the order of the subjects, whatever order they finish in.
"""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Iterator, Sequence

from ..collector import paused
from ..errors import EngineError
from ..opa import Opa
from . import DEFAULT_TIMEOUT, Engine, EngineInfo, Evaluated, ServerUnavailable
from .managed import ManagedEngine, ManagedOpa, launch, stop_all

if TYPE_CHECKING:
    from .server import ServerEngine, ServerOptions
    from .shapes import Serialised

    # Servers the user runs, or managed ones (which need no HTTP library beyond Python's own).
    Member = ServerEngine | ManagedEngine

# Three requests per server keep it busy while regate reads the next document and
# the previous answer; OPA evaluates concurrent requests on all cores it has. With
# two, a server sharing the cores with regate (a managed one) waited for regate to
# read an answer and send the next document: a third, queued, cut 7-11% off a
# 100-document batch on 2 cores at load (medians of 15-20 interleaved runs), and
# made no difference idle.
REQUESTS_PER_SERVER = 3
# Threads beyond those sending: they read and check the next documents meanwhile.
_PREPARING = 2
# How many documents not evaluated an error names before it counts the rest.
_NAMED = 10


@dataclass
class _Member:
    engine: Member
    down: str | None = None  # why it was taken out of the pool
    slots: threading.BoundedSemaphore = field(default_factory=lambda: threading.BoundedSemaphore(REQUESTS_PER_SERVER))


class ServerPool(Engine):
    def __init__(self, engines: list[Member]):
        if not engines:
            raise EngineError("a server pool needs at least one OPA server")
        self.members = [_Member(engine) for engine in engines]
        self._lock = threading.Lock()
        self._turn = 0

    @classmethod
    def connect(cls, servers: Sequence[ServerOptions]) -> "ServerPool":
        from .server import ServerEngine

        return cls(_open_all([lambda options=options: ServerEngine.connect(options) for options in servers],
                             concurrently=True))

    @classmethod
    def managed(cls, bundle: Path, opa: Opa, workers: int, timeout: float = DEFAULT_TIMEOUT) -> "ServerPool":
        return cls.serving(launch(opa, bundle, workers), timeout)

    @classmethod
    def serving(cls, processes: list[ManagedOpa], timeout: float = DEFAULT_TIMEOUT) -> "ServerPool":
        """A pool of managed servers, launched together so that they load the bundle at once, and waited
        for from this thread. If one cannot start, every one is stopped and its error raised."""
        try:
            return cls(_open_all([lambda process=process: ManagedEngine.serving(process, timeout)
                                  for process in processes], concurrently=False))
        except BaseException:
            stop_all(processes)
            raise

    @property
    def engines(self) -> list[Member]:
        return [member.engine for member in self.members]

    def describe(self) -> EngineInfo:
        first = self.members[0].engine.describe()
        targets = ", ".join(member.engine.url for member in self.members)
        return EngineInfo("server", first.opa_version, targets, managed=first.managed)

    def require_revision(self, expected: str) -> None:
        for engine in self.engines:
            engine.require_revision(expected)

    def served_policy(self):
        """The first server's policy, which every other server must serve too (one revision per run)."""
        first = self.engines[0]
        policy, revisions = first.served_policy(), first.served_revisions()
        for engine in self.engines[1:]:
            if engine.served_revisions() != revisions:
                named = ", ".join(r[:12] for r in revisions) or "none it can name"
                raise EngineError(f"{engine.where} serves another policy revision than {first.where} ({named}); "
                                  "a fleet must serve one policy")
        return policy

    def evaluate(self, document: dict | Serialised) -> dict:
        return self._evaluate(document, self._next())

    def evaluate_all(self, subjects: Sequence,
                     prepare: Callable[[Any], tuple[dict | Serialised, Any]]) -> Iterator[Evaluated]:
        def one(index: int) -> Evaluated | EngineError:
            started = time.monotonic()
            try:
                # `prepare` may evaluate too (regate diff asks the base policy's pool there). A document is a
                # tree: the cyclic collector would walk each of its objects as it is made, for nothing.
                with paused():
                    document, context = prepare(subjects[index])
                loaded = time.monotonic()
                decision = self._evaluate(document, self._next())
            except ServerUnavailable as exc:
                return exc
            return Evaluated(subjects[index], decision, context, loaded - started, time.monotonic() - loaded)

        unanswered: list[tuple[Any, str]] = []
        threads = REQUESTS_PER_SERVER * len(self.members) + _PREPARING
        with ThreadPoolExecutor(threads, thread_name_prefix="regate-opa") as executor:
            # Submitted in a window, so that an error stops the run without building every document first.
            window = [executor.submit(one, index) for index in range(min(2 * threads, len(subjects)))]
            submitted = len(window)
            try:
                for position in range(len(subjects)):
                    outcome = window[position].result()
                    window[position] = None  # the decision is handed on; the pool keeps nothing
                    if submitted < len(subjects):
                        window.append(executor.submit(one, submitted))
                        submitted += 1
                    if isinstance(outcome, EngineError):
                        unanswered.append((subjects[position], str(outcome)))
                    else:
                        yield outcome
            finally:
                executor.shutdown(wait=True, cancel_futures=True)
        if unanswered:
            raise EngineError(_unanswered_message(unanswered, self.members))

    def _next(self) -> int:
        with self._lock:
            self._turn = (self._turn + 1) % len(self.members)
            return self._turn

    def _evaluate(self, document: dict | Serialised, first: int) -> dict:
        """The decision from the first server that answers, starting at `first`."""
        failures = []
        for offset in range(len(self.members)):
            member = self.members[(first + offset) % len(self.members)]
            if member.down is not None:
                continue
            try:
                with member.slots:
                    return member.engine.evaluate(document)
            except ServerUnavailable as exc:
                member.down = str(exc)
                failures.append(str(exc))
        raise ServerUnavailable("no OPA server of the pool answered" + (f": {'; '.join(failures)}" if failures else ""))

    def close(self) -> None:
        _close_all(self.engines)


def _open_all(openers: list[Callable[[], Member]], concurrently: bool) -> list[Member]:
    """Every engine (`concurrently`: all at once, as connecting to a fleet waits on each server);
    if one fails, those already open are closed and its error raised."""
    opened: list[Member] = []
    if not concurrently:
        try:
            for opener in openers:
                opened.append(opener())
        except BaseException:
            _close_all(opened)
            raise
        return opened
    with ThreadPoolExecutor(max(1, len(openers))) as executor:
        futures = [executor.submit(opener) for opener in openers]
    failure = None
    for future in futures:
        try:
            opened.append(future.result())
        except BaseException as exc:  # noqa: BLE001 - re-raised below once the others are closed
            failure = failure or exc
    if failure is not None:
        _close_all(opened)
        raise failure
    return opened


def _close_all(engines: list[Member]) -> None:
    with ThreadPoolExecutor(max(1, len(engines))) as executor:
        for future in [executor.submit(engine.close) for engine in engines]:
            future.result()


def _unanswered_message(unanswered: list[tuple[Any, str]], members: list[_Member]) -> str:
    names = [getattr(subject, "label", str(subject)) for subject, _ in unanswered]
    listed = ", ".join(names[:_NAMED]) + (f" and {len(names) - _NAMED} more" if len(names) > _NAMED else "")
    why = "; ".join(f"{m.engine.url}: {m.down}" for m in members if m.down) or unanswered[0][1]
    return f"no OPA server answered, so {len(names)} document{'s' if len(names) != 1 else ''} were not evaluated: {listed} ({why})"
