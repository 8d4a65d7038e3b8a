"""OPA started on one prepared document before regate has read its own command line.

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
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple

from .errors import UserError

if TYPE_CHECKING:
    from datetime import date

    from .cache import CompiledBundle
    from .engine.ahead import Ahead
    from .opa import Opa, Running

# The options each command's simple form may have, and whether each takes a value. Anything
# else (another option, `--`, two inputs) is not the simple form; tests/engine/test_engine_early.py holds
# these against the commands' definitions.
SIMPLE_OPTIONS: dict[str, dict[str, bool]] = {
    "check": {"--policy": True, "--bundle": True, "--format": True, "--fail-on": True, "-o": True,
              "--output": True, "--timeout": True, "--explain": False},
    "eval": {"--bundle": True, "--input": True, "--format": True, "--fail-on": True, "-o": True,
             "--output": True, "--timeout": True},
}


class SimpleForm(NamedTuple):
    policies: tuple[str, ...]
    bundle: str | None
    target: str
    timeout: float


def simple_form(argv: list[str]) -> SimpleForm | None:
    """What a simple `check`/`eval` command line names, or None when it is something else."""
    if not argv or argv[0] not in SIMPLE_OPTIONS:
        return None
    known = SIMPLE_OPTIONS[argv[0]]
    given: dict[str, list[str]] = {}
    positional: list[str] = []
    rest = iter(argv[1:])
    for arg in rest:
        if not arg.startswith("-") or arg == "-":
            positional.append(arg)
            continue
        # `--name=value`; a short option's value is the next argument (click reads `-ovalue` and
        # `-o=value` otherwise, which the simple form leaves out).
        name, equals, value = arg.partition("=") if arg.startswith("--") else (arg, "", "")
        if name not in known or equals and not known[name]:
            return None
        if known[name] and not equals:
            value = next(rest, None)
            if value is None:
                return None
        given.setdefault(name, []).append(value)
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


_early: Started | None = None


def speculate(argv: list[str]) -> None:
    """Start OPA for `argv` if it is the simple form of a check of one prepared document."""
    global _early
    form = simple_form(argv)
    if form is None:
        return
    try:
        hit = cached(form.policies, None) if form.bundle is None else None
        bundle = Path(form.bundle) if form.bundle is not None else hit.path if hit else None
        if bundle is not None:
            _early = launch(form.target, bundle, form.timeout)
    except Exception:  # noqa: BLE001 - only a guess: the command meets the same problem and reports it
        _early = None


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
