"""Evaluating input documents with OPA: one interface, two engines.

- `CliEngine` runs `opa eval` on a bundle once per input document.
- `ServerEngine` posts input documents to an OPA server's REST API: a server
  the user runs (`--opa-url`), or a *managed* `opa run --server` that regate
  starts on a Unix socket of its own for the run and stops afterwards.
- `ServerPool` spreads a batch over several such servers (`engine.pool`).

Both return the decision document of `data.regate.decision.main`, checked
against the contract (`regate.engine.decision.validate`: its shape, and that
it agrees with itself, `regate.engine.consistency`); every failure is an
`EngineError`, never a verdict.
"""

from __future__ import annotations

import time
from abc import ABC, abstractmethod
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Iterable, Iterator, Sequence

from ..errors import EngineError
from ..opa import DEFAULT_TIMEOUT

if TYPE_CHECKING:
    from .shapes import Serialised


class ServerUnavailable(EngineError):
    """An OPA server did not answer (refused, broke off, timed out, or a 5xx): another server may."""


@dataclass(frozen=True)
class EngineInfo:
    name: str  # "cli" or "server"
    opa_version: str
    # The bundle `opa eval` reads, or the server's URL.
    target: str
    # True for the `opa run --server` regate started itself.
    managed: bool = False

    def as_json(self) -> dict:
        return {"name": self.name, "opa_version": self.opa_version, "target": self.target, "managed": self.managed}


@dataclass
class Evaluated:
    subject: Any
    decision: dict
    # What `prepare` returned beside the document (check: the secrets found in it).
    context: Any
    # Seconds spent building the document and evaluating it.
    prepare_seconds: float
    evaluate_seconds: float


class Engine(ABC):
    @abstractmethod
    def evaluate(self, document: dict | Serialised) -> dict:
        """The decision for one input document, a dict or its JSON serialised once (`shapes.serialise`:
        then OPA evaluates exactly those bytes)."""

    def evaluate_many(self, documents: Iterable[dict | Serialised]) -> Iterator[dict]:
        for document in documents:
            yield self.evaluate(document)

    def evaluate_all(self, subjects: Sequence,
                     prepare: Callable[[Any], tuple[dict | Serialised, Any]]) -> Iterator[Evaluated]:
        """Each subject's decision, in the subjects' order; `prepare` builds a subject's document
        (and a context handed back with it) only when its turn comes, one at a time here."""
        for subject in subjects:
            started = time.monotonic()
            document, context = prepare(subject)
            loaded = time.monotonic()
            decision = self.evaluate(document)
            yield Evaluated(subject, decision, context, loaded - started, time.monotonic() - loaded)

    @abstractmethod
    def describe(self) -> EngineInfo: ...

    def close(self) -> None:
        pass

    def __enter__(self):
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()


def open_engine(kind: str, bundle: Path | None = None, server=None, timeout: float = DEFAULT_TIMEOUT,
                workers: int | None = None, ahead=None, launched=None) -> Engine:
    """`kind` "cli" or "server"; `server` (ServerOptions, or a list of them for a fleet) names external
    servers, else "server" means managed ones on `bundle`: one, or a pool of `workers`. `ahead`, an
    `opa eval` already running on `bundle` (`engine.ahead`), is the CLI engine's to use or stop.
    `launched`, managed servers launched before the command line was parsed (`regate.early`), are
    used if they are exactly the ones this would launch, and stopped otherwise."""
    from ..errors import UserError
    from ..opa import find_opa

    servers = list(server) if isinstance(server, (list, tuple)) else [server] if server is not None else []
    managed = kind == "server" and not servers
    adopted = launched.adopt(find_opa(), bundle, (workers or 1) if managed else 0) if launched is not None else None
    if kind == "cli":
        if servers or workers:
            raise UserError("--opa-url and --workers evaluate through OPA servers; they cannot be combined with --engine cli")
        from .cli import CliEngine

        return CliEngine(bundle, find_opa(), timeout, ahead)
    if servers and workers:
        raise UserError("--workers starts local OPA servers; with --opa-url the servers are yours (give --opa-url once per server)")
    if servers:
        from .pool import ServerPool
        from .server import ServerEngine

        return ServerPool.connect(servers) if len(servers) > 1 else ServerEngine.connect(servers[0])
    from .managed import ManagedEngine, ManagedOpa, launch, stop_all

    # Launched before the pool is imported: the servers load the bundle meanwhile.
    processes = ([ManagedOpa(found.opa, found.bundle, server=found) for found in adopted] if adopted
                 else launch(find_opa(), bundle, workers or 1))
    try:
        from .pool import ServerPool
    except BaseException:
        stop_all(processes)
        raise
    return ServerPool.serving(processes, timeout) if workers else ManagedEngine.serving(processes[0], timeout)
