"""`regate push`: a compiled bundle's modules and data uploaded to an OPA server
through its REST API, for servers that do not pull bundles.

Each Rego package becomes one policy named after it (`regate/lib/clock`,
PUT /v1/policies/...). A package spread over several files (the version
library) is uploaded as their concatenation: OPA compiles each upload against
what it already has, so files of one package that call each other can only
arrive together.
The data goes key by key under data.regate (`config`, `lists`, `params`, ...),
never as one PUT of data.regate: that path is also where the modules live. The
revision is recorded at data.regate.push so `regate check --opa-url --policy`
can tell the server runs the policy it was given. Policies regate pushed
before and the bundle no longer has are deleted last, callers before the
library modules they call.

The REST API has no transactions: an evaluation during a push can see new
modules with old data. Servers that need atomic updates should load bundles.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass

from ..errors import EngineError
from .policy import PolicyInfo
from .server import ServerEngine

PREFIX = "regate/"
_PACKAGE = re.compile(r"^package[ \t]+([\w.]+)[ \t]*$", re.M)


@dataclass(frozen=True)
class Pushed:
    revision: str
    modules: int
    removed: int


def push(engine: ServerEngine, files: dict[str, bytes]) -> Pushed:
    revision = PolicyInfo.from_files(files).revision
    modules = modules_by_package(files)
    data = json.loads(files["data.json"])["regate"]
    with engine.request("listing its policies"):
        existing = [i for i in engine.client.policy_ids() if i.startswith(PREFIX)]
    _upload_modules(engine, modules)
    for key, value in sorted(data.items()):
        with engine.request(f"writing data.regate.{key}"):
            engine.client.put_data(f"regate/{key}", value)
    with engine.request("recording the pushed revision"):
        engine.client.put_data("regate/push", {"revision": revision})
    stale = sorted(set(existing) - set(modules))
    _delete_stale(engine, stale)
    return Pushed(revision, len(modules), len(stale))


def modules_by_package(files: dict[str, bytes]) -> dict[str, str]:
    """Policy id → module text, one per package."""
    merged: dict[str, str] = {}
    for name, content in sorted(files.items()):
        if not name.endswith(".rego"):
            continue
        text = content.decode("utf-8")
        found = _PACKAGE.search(text)
        if found is None:
            raise EngineError(f"the bundle's {name} has no package line")
        policy_id = found.group(1).replace(".", "/")
        if not policy_id.startswith(PREFIX):
            raise EngineError(f"the bundle's {name} is package {found.group(1)}, outside data.regate")
        # A later file's header (comments and package line) would repeat the package.
        merged[policy_id] = merged[policy_id] + "\n" + text[found.end():] if policy_id in merged else text
    return merged


def _upload_modules(engine: ServerEngine, modules: dict[str, str]) -> None:
    """OPA compiles every module it is given against those it has, so a module
    calling a library function is refused until the library is there. Upload
    in passes until every module is accepted or a pass makes no progress."""
    pending = dict(sorted(modules.items()))
    while pending:
        refused: dict[str, str] = {}
        for policy_id, source in pending.items():
            try:
                with engine.request(f"uploading {policy_id}"):
                    engine.client.put_policy(policy_id, source)
            except EngineError as exc:
                refused[policy_id] = str(exc)
        if len(refused) == len(pending):
            raise EngineError("the OPA server refused the policy modules:\n" +
                              "\n".join(f"  {reason}" for reason in refused.values()))
        pending = {policy_id: modules[policy_id] for policy_id in refused}


def _delete_stale(engine: ServerEngine, stale: list[str]) -> None:
    """OPA refuses to delete a library module a remaining module still calls (a stale
    policy using `regate/lib/version`, which the new bundle does not ship): delete in
    passes, callers first, until all are gone or a pass makes no progress."""
    pending = stale
    while pending:
        refused: dict[str, str] = {}
        for policy_id in pending:
            try:
                with engine.request(f"deleting the stale policy {policy_id}"):
                    engine.client.delete_policy(policy_id)
            except EngineError as exc:
                refused[policy_id] = str(exc)
        if len(refused) == len(pending):
            raise EngineError("the OPA server refused to delete stale policy modules:\n" +
                              "\n".join(f"  {reason}" for reason in refused.values()))
        pending = sorted(refused)
