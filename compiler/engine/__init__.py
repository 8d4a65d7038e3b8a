"""Evaluating input documents with OPA: one interface, two engines.

- `CliEngine` runs `opa eval` on a bundle once per input document.
- `ServerEngine` posts input documents to an OPA server's REST API: a server
  the user runs (`--opa-url`), or a *managed* `opa run --server` that regate
  starts on a free loopback port for the run and stops afterwards.

Both return the decision document of `data.regate.decision.main`, checked
against the contract (`regate.engine.decision.validate`: its shape, and that
it agrees with itself, `regate.engine.consistency`); every failure is an
`EngineError`, never a verdict.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Iterator

DEFAULT_TIMEOUT = 60.0


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


class Engine(ABC):
    @abstractmethod
    def evaluate(self, document: dict) -> dict:
        """The decision for one input document."""

    def evaluate_many(self, documents: Iterable[dict]) -> Iterator[dict]:
        for document in documents:
            yield self.evaluate(document)

    @abstractmethod
    def describe(self) -> EngineInfo: ...

    def close(self) -> None:
        pass

    def __enter__(self):
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()


def open_engine(kind: str, bundle: Path | None = None, server=None, timeout: float = DEFAULT_TIMEOUT) -> Engine:
    """`kind` "cli" or "server"; `server` (ServerOptions) names an external server, else
    "server" means a managed one on `bundle`."""
    from ..errors import UserError
    from ..opa import find_opa

    if kind == "cli":
        if server is not None:
            raise UserError("--opa-url evaluates through an OPA server; it cannot be combined with --engine cli")
        from .cli import CliEngine

        return CliEngine(bundle, find_opa(), timeout)
    from .server import ServerEngine

    if server is not None:
        return ServerEngine.connect(server)
    return ServerEngine.managed(bundle, find_opa(), timeout)
