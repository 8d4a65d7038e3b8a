"""OPA started before regate has read its own command line: `opa eval` of one prepared
document, or the managed servers of a batch.

`regate check` (or `eval`) of one prepared input document spends most of its run waiting
for `opa eval`, and everything before OPA starts adds to the run (`regate.engine.ahead`).
Importing the command-line parser and the commands costs more than finding the policy's
compiled bundle and starting OPA. So regate's entry point (`regate.launch`) looks at the
arguments first: when they have the simple form of `SIMPLE_OPTIONS` and the bundle is known
(a compile-cache hit, or --bundle), OPA starts on the document at once (`speculate`).

The guess is never trusted. The command parses its arguments as always and decides as
always whether to evaluate the file as it is; it then `take`s the early run only when that
is the run it would have started itself (same bundle, same file, same timeout), and stops
it unread otherwise. A wrong guess costs an OPA start, never a result.

A batch check on managed OPA servers (`--engine server` without --opa-url, or --workers N)
waits for its servers to load the bundle before its first request, and the engine would
launch them only once the commands are imported. When the arguments have the batch form of
`BATCH_OPTIONS` and the bundle is known, the servers are launched at once (`speculate`):
OPA loads the bundle on the second core while Python imports the commands. The engine
adopts them only when they are exactly the servers it would launch (`Launched.adopt`: the
same OPA, the same bundle file, as many) and stops them otherwise; whatever the command did
not take is stopped when it ends (`discard`).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple

from .errors import UserError

if TYPE_CHECKING:
    from datetime import date

    from .cache import CompiledBundle
    from .engine.ahead import Ahead
    from .opa import Opa, Running, Server

# The options each command's simple form may have, and whether each takes a value. Anything
# else (another option, `--`, two inputs) is not the simple form; tests/engine/test_engine_early.py holds
# these against the commands' definitions.
SIMPLE_OPTIONS: dict[str, dict[str, bool]] = {
    "check": {"--policy": True, "--bundle": True, "--format": True, "--fail-on": True, "-o": True,
              "--output": True, "--timeout": True, "--explain": False},
    "eval": {"--bundle": True, "--input": True, "--format": True, "--fail-on": True, "-o": True,
             "--output": True, "--timeout": True},
}
# The options of each command's batch form on managed servers: --engine and --workers, which say how many
# servers, the policy, and options that change neither the bundle nor the servers (the documents' `now`
# and `require`, the report, the per-request timeout, explanations). --now is read: it dates the
# compile cache's entry. Anything else (--opa-url, --verification-key, images' options...) is not the
# batch form; tests/engine/test_engine_early_servers.py holds these against the commands' definitions.
BATCH_OPTIONS: dict[str, dict[str, bool]] = {
    "check": {"--policy": True, "--bundle": True, "--engine": True, "--workers": True, "--now": True,
              "--require": True, "--format": True, "--fail-on": True, "-o": True, "--output": True,
              "--timeout": True, "--explain": False},
    "eval": {"--bundle": True, "--input": True, "--engine": True, "--workers": True, "--now": True,
             "--format": True, "--fail-on": True, "-o": True, "--output": True, "--timeout": True},
}


class SimpleForm(NamedTuple):
    policies: tuple[str, ...]
    bundle: str | None
    target: str
    timeout: float


def simple_form(argv: list[str]) -> SimpleForm | None:
    """What a simple `check`/`eval` command line names, or None when it is something else."""
    parsed = _parse(argv, SIMPLE_OPTIONS)
    if parsed is None:
        return None
    given, positional = parsed
    targets = positional + given.get("--input", [])
    policies, bundles = given.get("--policy", []), given.get("--bundle", [])
    if len(targets) != 1 or len(bundles) > 1 or bool(policies) == bool(bundles):
        return None
    try:
        timeout = float(given["--timeout"][-1]) if "--timeout" in given else None
    except ValueError:
        return None
    if timeout is not None and not timeout > 0:
        return None
    from .opa import DEFAULT_TIMEOUT

    return SimpleForm(tuple(policies), bundles[0] if bundles else None, targets[0],
                      DEFAULT_TIMEOUT if timeout is None else timeout)


class BatchForm(NamedTuple):
    policies: tuple[str, ...]
    bundle: str | None
    today: date | None  # of --now
    servers: int


def batch_form(argv: list[str]) -> BatchForm | None:
    """What a `check`/`eval` command line on managed servers names, or None when it is something else."""
    parsed = _parse(argv, BATCH_OPTIONS)
    if parsed is None:
        return None
    given, positional = parsed
    if any(len(given.get(name, ())) > 1 for name in ("--bundle", "--engine", "--workers", "--now")):
        return None  # click takes the last: an unusual command line is not guessed at
    bundle, engine, workers, now = (given.get(name, [None])[0] for name in ("--bundle", "--engine", "--workers", "--now"))
    policies = tuple(given.get("--policy", []))
    if (not positional + given.get("--input", []) or bool(policies) == (bundle is not None)
            or engine not in (None, "server") or engine is None and workers is None):
        return None
    try:
        servers = int(workers) if workers is not None else 1
    except ValueError:
        return None
    today = today_of(now) if now is not None else None
    if servers < 1 or now is not None and today is None:
        return None
    return BatchForm(policies, bundle, today, servers)


def today_of(now: str) -> date | None:
    """The date (UTC) of `now` if it is an RFC 3339 time with an offset (--now), else None."""
    from datetime import datetime, timezone

    try:
        moment = datetime.fromisoformat(now)
    except ValueError:
        return None
    if moment.tzinfo is None or "T" not in now.upper():
        return None
    return moment.astimezone(timezone.utc).date()


def _parse(argv: list[str], forms: dict[str, dict[str, bool]]) -> tuple[dict[str, list[str]], list[str]] | None:
    """The values of each option `argv` gives and its other arguments, or None when `argv` is not a
    command of `forms` with only that command's options there."""
    if not argv or argv[0] not in forms:
        return None
    known = forms[argv[0]]
    given: dict[str, list[str]] = {}
    positional: list[str] = []
    rest = iter(argv[1:])
    for arg in rest:
        if not arg.startswith("-") or arg == "-":
            positional.append(arg)
            continue
        # `--name=value`; a short option's value is the next argument (click reads `-ovalue` and
        # `-o=value` otherwise, which the forms leave out).
        name, equals, value = arg.partition("=") if arg.startswith("--") else (arg, "", "")
        if name not in known or equals and not known[name]:
            return None
        if known[name] and not equals:
            value = next(rest, None)
            if value is None:
                return None
        given.setdefault(name, []).append(value)
    return given, positional


class Started(NamedTuple):
    """An `opa eval` started on a prepared document's bytes, before the engine's modules are loaded."""
    opa: Opa
    bundle: Path
    path: Path
    data: bytes
    timeout: float
    run: Running


def launch(target: str, bundle: Path, timeout: float) -> Started | None:
    """`opa eval` of `bundle` started on `target`'s content when it is one prepared document,
    else None (whatever is wrong with it is reported when the subjects are read). Only what
    starting OPA needs is imported before it starts."""
    from .extract.jsonload import JSON_LINES, read_file_bytes, starts_like_json
    from .opa import eval_args, find_opa

    path = Path(target)
    try:
        if not path.is_file() or path.suffix.lower() in JSON_LINES or not starts_like_json(path):
            return None
        data = read_file_bytes(path)
    except (OSError, UserError):
        return None
    if b'"schema_version"' not in data:  # an analysis file: the document is built from it, not read
        return None
    try:
        opa = find_opa()
        return Started(opa, bundle, path, data, timeout, opa.start(*eval_args(bundle), data=data, timeout=timeout))
    except (OSError, UserError):  # OPA missing or not runnable: the engine reports it, in its turn
        return None


def start(target: str, bundle: Path, timeout: float) -> Ahead | None:
    """`launch`, as the engine takes it (`regate.engine.ahead`)."""
    started = launch(target, bundle, timeout)
    return _adopted(started) if started is not None else None


def _adopted(started: Started) -> Ahead:
    from .engine.ahead import Ahead

    return Ahead(started.opa, started.bundle, started.path, started.data, started.timeout, run=started.run)


def cached(policies: tuple[str, ...], today: date | None) -> CompiledBundle | None:
    """The compile cache's bundle of `policies` as of `today` (None: today), or None on a miss or
    when OPA is not found (both reported later, in their turn)."""
    from .cache import cached_bundle
    from .opa import find_opa

    try:
        return cached_bundle(list(policies), today, find_opa().version)
    except UserError:
        return None


class Launched(NamedTuple):
    """Managed servers launched before the command line was parsed, for the engine to adopt."""
    opa: Opa
    bundle: Path
    # The bundle file as it was when they were launched (`_identity`).
    identity: tuple[int, ...]
    servers: tuple[Server, ...]

    def adopt(self, opa: Opa, bundle: Path | None, count: int) -> tuple[Server, ...] | None:
        """These servers if they are `count` servers of `opa` on `bundle`, a file they read as it
        is now; else None, and they are stopped."""
        if (count == len(self.servers) and opa == self.opa and bundle == self.bundle
                and _identity(bundle) == self.identity):
            return self.servers
        self.stop()
        return None

    def stop(self) -> None:
        for server in self.servers:
            server.stop()


def serve(bundle: Path, count: int) -> Launched | None:
    """`count` managed servers launched on `bundle`, or None when they cannot be (the engine reports
    why, in its turn). Only what launching needs is imported before they are."""
    from .opa import find_opa, launch_servers

    identity = _identity(bundle)
    if identity is None:
        return None
    try:
        opa = find_opa()
        return Launched(opa, bundle, identity, tuple(launch_servers(opa, bundle, count)))
    except (OSError, UserError):
        return None


def _identity(bundle: Path) -> tuple[int, ...] | None:
    """What tells the file at `bundle` from another there later (an entry compiled again is
    replaced, not rewritten), or None when there is none."""
    try:
        found = os.stat(bundle)
    except OSError:
        return None
    return found.st_dev, found.st_ino, found.st_size, found.st_mtime_ns


_early: Started | None = None
_servers: Launched | None = None


def speculate(argv: list[str]) -> None:
    """Start OPA for `argv` if it is the simple form of a check of one prepared document, or launch
    the managed servers of its batch form, when the bundle is known."""
    global _early, _servers
    try:
        if (form := simple_form(argv)) is not None:
            bundle = _known_bundle(form.policies, form.bundle, None)
            _early = launch(form.target, bundle, form.timeout) if bundle is not None else None
        elif (batch := batch_form(argv)) is not None:
            bundle = _known_bundle(batch.policies, batch.bundle, batch.today)
            _servers = serve(bundle, batch.servers) if bundle is not None else None
    except Exception:  # noqa: BLE001 - only a guess: the command meets the same problem and reports it
        _early = None


def _known_bundle(policies: tuple[str, ...], bundle: str | None, today: date | None) -> Path | None:
    """--bundle, or the compile cache's bundle of --policy on a hit."""
    if bundle is not None:
        return Path(bundle)
    hit = cached(policies, today)
    return hit.path if hit else None


def take(bundle: Path | None, target: str | None, timeout: float) -> Ahead | None:
    """The early run if it is `opa eval` of `bundle` on `target` with `timeout`; any other early
    run is stopped unread. None for `target`: the command evaluates no file as it is."""
    global _early
    early, _early = _early, None
    if early is None:
        return None
    if target is not None and early.bundle == bundle and early.path == Path(target) and early.timeout == timeout:
        return _adopted(early)
    early.run.cancel()
    return None


def take_servers() -> Launched | None:
    """The managed servers launched early, now the caller's to adopt or stop."""
    global _servers
    servers, _servers = _servers, None
    return servers


def discard() -> None:
    """Stop whatever was started early and not taken: the command ended before it came to it, or
    would never have."""
    global _early
    early, _early = _early, None
    if early is not None:
        early.run.cancel()
    servers = take_servers()
    if servers is not None:
        servers.stop()
