"""`regate diff`: what a policy change does to an inventory of stored input documents.

Both policy versions are compiled (cached) and each served by its own engine;
every document is read once and evaluated under both, so the base and head
decisions of an image always come from the same document and the same `now`.
"""

from __future__ import annotations

import sys
import time
from datetime import datetime, timezone
from pathlib import Path

import click

from ..engine import DEFAULT_TIMEOUT, open_engine
from ..engine.shapes import serialise
from ..errors import UserError
from ..report import Result
from ..report.impact import FORMATS, render
from ..subjects import Subject, collect_subjects
from .check import _compile, _now
from .output import deliver


def _policy(compiled):
    from ..engine.policy import PolicyInfo, read_bundle

    return PolicyInfo.from_files(read_bundle(compiled.path), compiled.root)


@click.command("diff")
@click.argument("documents", nargs=-1, required=True, metavar="DOCS...")
@click.option("--base", "base_paths", multiple=True, required=True, type=click.Path(exists=True),
              help="The policy as it is: file or directory (repeatable).")
@click.option("--head", "head_paths", multiple=True, required=True, type=click.Path(exists=True),
              help="The policy as changed: file or directory (repeatable).")
@click.option("--engine", type=click.Choice(["cli", "server"]), default="server", show_default=True,
              help="`opa eval` per document and policy (cli), or managed OPA servers (server).")
@click.option("--workers", type=click.IntRange(min=1), default=1, show_default=True, metavar="N",
              help="Managed OPA servers per policy version (--engine server).")
@click.option("--timeout", type=click.FloatRange(min=0, min_open=True), default=DEFAULT_TIMEOUT, show_default=True,
              help="Seconds one evaluation may take.")
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="text", show_default=True, help="Report format.")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path),
              help="Write the report here (atomically) instead of standard output.")
@click.option("--now", metavar="RFC3339", help="Evaluate as of this time (default: when the run starts, for "
                                               "documents that carry no `now`).")
def diff_command(documents, base_paths, head_paths, engine, workers, timeout, fmt, output, now):
    """Evaluate stored input documents (files, directories of them, JSON-lines files) under two policy
    versions and report what changes: exit 0 when no verdict gets worse, 1 when one does, 2 on errors."""
    from ..extract.base import ExtractOptions
    from ..impact import compare

    now, today = _now(now)
    subjects = collect_subjects(documents, (), ExtractOptions(run_syft=False))
    if extracted := [s.label for s in subjects if s.document is None]:
        raise UserError(f"regate diff compares stored input documents; {', '.join(extracted)} "
                        "must be prepared with `regate extract` first")
    base, head = _compile(base_paths, today), _compile(head_paths, today)
    # One moment for both versions: an exception expiring between two evaluations is no policy change.
    moment = now or datetime.now(timezone.utc).isoformat(timespec="seconds").replace("+00:00", "Z")
    kind, pool = engine, workers if engine == "server" else None
    if engine == "cli" and workers != 1:
        raise UserError("--workers starts managed OPA servers; it cannot be combined with --engine cli")
    started = time.monotonic()
    with open_engine(kind, base.path, None, timeout, pool) as base_engine, \
            open_engine(kind, head.path, None, timeout, pool) as head_engine:

        def prepare(subject: Subject):
            document, secrets = subject.load(None)
            if now is not None or "now" not in document:
                document["now"] = moment
            evaluated = serialise(document)  # once, for both versions: they evaluate the same bytes
            return evaluated, (secrets, base_engine.evaluate(evaluated))

        pairs = []
        for done in head_engine.evaluate_all(subjects, prepare):
            secrets, base_decision = done.context
            pairs.append((Result(done.subject.label, base_decision, {}, secrets),
                          Result(done.subject.label, done.decision, {}, secrets)))
    impact = compare(pairs, _policy(base).revision, _policy(head).revision)
    deliver(render(fmt, impact), output)
    failed = [head.subject for base, head in pairs if base.decision["errors"] or head.decision["errors"]]
    if output is not None:
        click.echo(f"regate diff: {len(impact.changed)} of {impact.images} images change, {len(impact.worse)} worse "
                   f"({time.monotonic() - started:.1f} s); {fmt} report written to {output}", err=True)
    if failed:
        click.echo(f"regate: error: {len(failed)} document{'s' if len(failed) != 1 else ''} could not be evaluated "
                   f"(the decision lists errors): {', '.join(failed[:10])}{' …' if len(failed) > 10 else ''}", err=True)
        sys.exit(2)
    sys.exit(1 if impact.worse else 0)
