"""`regate check`, `regate eval`, `regate push`: the CI gate.

`check` compiles the policy (cached), turns what it is given into input
documents (`regate.subjects`: what counts as one image), evaluates each with
one engine and writes one report; the exit code is the verdict.
"""

from __future__ import annotations

import os
import sys
import time
from datetime import date, datetime, timezone
from pathlib import Path

import click

from ..engine import DEFAULT_TIMEOUT, open_engine
from ..engine.policy import PolicyInfo
from ..errors import UserError
from ..report import FORMATS, Result, Run, render, write
from ..subjects import Subject, collect_subjects, load_prepared

# ------------------------------------------------------------------ options


def _engine_options(command):
    command = _connection_options(command)
    return click.option("--engine", type=click.Choice(["cli", "server"]),
                        help="Evaluate with `opa eval` (cli, the default without --opa-url) or an OPA server (server: "
                             "the one at --opa-url, else a managed `opa run --server` started for this run).")(command)


def _connection_options(command):
    options = [
        click.option("--opa-url", metavar="URL", help="Root URL of the OPA server, http(s)://HOST[:PORT]."),
        click.option("--opa-token", metavar="TOKEN", envvar="REGATE_OPA_TOKEN", show_envvar=True,
                     help="Bearer token for --opa-url (prefer the environment variable: arguments are visible to other users)."),
        click.option("--opa-ca-cert", type=click.Path(exists=True, dir_okay=False), help="CA bundle to verify the server's certificate."),
        click.option("--opa-client-cert", type=click.Path(exists=True, dir_okay=False), help="Client certificate (PEM) for mutual TLS."),
        click.option("--opa-client-key", type=click.Path(exists=True, dir_okay=False), help="Key of --opa-client-cert, if not in the same file."),
        click.option("--insecure", is_flag=True, help="Do not verify the server's TLS certificate."),
        click.option("--timeout", type=click.FloatRange(min=0, min_open=True), default=DEFAULT_TIMEOUT, show_default=True,
                     help="Seconds one evaluation (or one request to the server) may take."),
    ]
    for option in reversed(options):
        command = option(command)
    return command


def _report_options(command):
    options = [
        click.option("--format", "fmt", type=click.Choice(FORMATS), default="text", show_default=True, help="Report format."),
        click.option("--fail-on", type=click.Choice(["stop", "warn"]), default="stop", show_default=True,
                     help="Lowest final action that fails the command (exit 1)."),
        click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path),
                     help="Write the report here (atomically) instead of standard output."),
        click.option("--now", metavar="RFC3339", help="Evaluate as of this time (sets `now` in every input document)."),
    ]
    for option in reversed(options):
        command = option(command)
    return command


def _server_options(opa_url, opa_token, opa_ca_cert, opa_client_cert, opa_client_key, insecure, timeout):
    if opa_url is None:
        if opa_ca_cert or opa_client_cert or opa_client_key or insecure:
            raise UserError("--opa-ca-cert, --opa-client-cert, --opa-client-key and --insecure need --opa-url")
        return None
    from ..engine.server import ServerOptions  # the server client costs a second to import: only when used

    return ServerOptions(opa_url, opa_token, opa_ca_cert, opa_client_cert, opa_client_key, insecure, timeout)


def _now(value: str | None) -> tuple[str | None, date | None]:
    """The `now` to put in input documents, and the date compile-time expiry warnings use."""
    if value is None:
        return None, None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        moment = None
    if moment is None or moment.tzinfo is None or "T" not in value.upper():
        raise click.BadParameter(f"{value!r} is not an RFC 3339 time with an offset (e.g. 2026-01-31T12:00:00Z)",
                                 param_hint="--now")
    return value, moment.astimezone(timezone.utc).date()


def _require(value: str | None) -> tuple[str, ...]:
    from ..extract.coverage import DATA_KINDS

    kinds = tuple(dict.fromkeys(k.strip() for k in (value or "").split(",") if k.strip()))
    unknown = [k for k in kinds if k not in DATA_KINDS]
    if unknown:
        raise click.BadParameter(f"unknown kind of data {', '.join(map(repr, unknown))}; "
                                 f"kinds: {', '.join(DATA_KINDS)}", param_hint="--require")
    return kinds


# ------------------------------------------------------------------ evaluation


def _compile(policies: tuple[str, ...], today: date | None):
    """The cached bundle of --policy; compile errors are printed and exit 2."""
    from ..cache import compile_cached
    from ..diagnostics import Diagnostics
    from ..opa import find_opa
    from .compile import print_diagnostics, report_failure, sources_of

    try:
        compiled = compile_cached(list(policies), today, find_opa().version)
    except Diagnostics as found:
        report_failure(found, policies)
        sys.exit(2)
    if compiled.warnings:
        print_diagnostics(list(compiled.warnings), sources_of(policies))
    return compiled


def _evaluate(kind: str, bundle: Path | None, local: PolicyInfo | None, server, timeout: float,
              subjects: list[Subject], baseline: dict | None, now: str | None, fail_on: str, timings: dict,
              cached: bool | None = None, require: tuple[str, ...] = ()) -> Run:
    """Every subject through one engine: one `opa eval` per input, or one server for all."""
    results = []
    with open_engine(kind, bundle, server, timeout) as engine:
        if server is not None and local is not None:
            engine.require_revision(local.revision)
        policy = local if local is not None else engine.served_policy()
        for subject in subjects:
            started = time.monotonic()
            document, secrets = subject.load(baseline)
            if now is not None:
                document["now"] = now
            if require:
                document["require"] = list(require)
            extracted = time.monotonic()
            decision = engine.evaluate(document)
            del document  # one image's document at a time, however many images
            results.append(Result(subject.label, decision,
                                  {"extract": extracted - started, "evaluate": time.monotonic() - extracted}, secrets))
        info = engine.describe()
    return Run(tuple(results), policy, info, fail_on, timings, cached)


def _emit(run: Run, fmt: str, output: Path | None) -> None:
    color = fmt == "text" and output is None and sys.stdout.isatty() and "NO_COLOR" not in os.environ
    text = render(fmt, run, color)
    if output is None:
        click.echo(text, nl=False)
        return
    try:
        write(output, text)
    except OSError as exc:
        raise UserError(f"cannot write the report to {output}: {exc.strerror or exc}") from None
    images = f"{len(run.results)} image{'s' if len(run.results) != 1 else ''}"
    verdict = "ERROR" if run.failed else run.verdict
    click.echo(f"regate: {verdict} ({images}); {fmt} report written to {output}", err=True)


def _kind(engine: str | None, server) -> str:
    return engine or ("server" if server is not None else "cli")


# ------------------------------------------------------------------ commands


@click.command("check")
@click.argument("targets", nargs=-1, metavar="[IMAGE_REF | FILE | DIR]...")
@click.option("--image", "images", multiple=True, metavar="REF|PATH",
              help="An image to check: a docker-archive or OCI path, else a reference the Docker daemon knows (repeatable).")
@click.option("--policy", "policies", multiple=True, type=click.Path(exists=True),
              help="Policy file or directory (repeatable). May be left out with --opa-url: the server's policy is used.")
@_engine_options
@_report_options
@click.option("--baseline", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="A previous `regate extract` document; extracted images get `changes` against it.")
@click.option("--no-syft", is_flag=True, help="Do not run syft on images even when it is installed.")
@click.option("--name", metavar="REF", help="The reference of the image, for an archive or report that carries none "
                                            "(mappings and image lists match it).")
@click.option("--require", metavar="KIND,...", callback=lambda _c, _p, value: _require(value),
              help="Data the evaluation must have (packages, vulnerabilities, files, file_contents, secrets, users, "
                   "misconfigurations, image_config, baseline); missing data is an error (exit 2).")
@click.option("--platform", default="", metavar="OS/ARCH[/VARIANT]",
              help="The platform to read from an input that describes several (a manifest list, a multi-platform SBOM).")
def check_command(targets, images, policies, engine, opa_url, opa_token, opa_ca_cert, opa_client_cert, opa_client_key,
                  insecure, timeout, fmt, fail_on, output, now, baseline, no_syft, name, require, platform):
    """Check images against policies: exit 0 to pass, 1 on STOP (or WARN with --fail-on warn), 2 on errors.

    Each IMAGE_REF, --image, image archive, input document, or input document in a
    DIR is one image; analysis FILEs (Syft, Grype, Trivy, ...) together describe one.
    """
    from ..extract.adapters.platforms import platform_option
    from ..extract.base import ExtractOptions
    from ..extract.document import load_baseline
    from ..extract.jsonload import load_json

    started = time.monotonic()
    now, today = _now(now)
    server = _server_options(opa_url, opa_token, opa_ca_cert, opa_client_cert, opa_client_key, insecure, timeout)
    if not policies and server is None:
        raise UserError("give the policy to check against with --policy PATH (or --opa-url of a server that serves it)")
    options = ExtractOptions(run_syft=not no_syft, progress=sys.stderr.isatty(), platform=platform_option(platform))
    subjects = collect_subjects(targets, images, options)
    if name is not None:
        if len(subjects) > 1:
            raise UserError(f"--name names one image, but {len(subjects)} are given")
        subjects[0].name = name
    previous = load_baseline(load_json(baseline), str(baseline)) if baseline else None
    if previous is not None and all(s.document is not None for s in subjects):
        raise UserError("--baseline applies to images and analysis files regate extracts; "
                        "prepared input documents already carry their `changes`")
    compile_started = time.monotonic()  # reading the inputs above is not compiling
    compiled = _compile(policies, today) if policies else None
    local = None
    if compiled is not None:
        from ..engine.policy import read_bundle

        local = PolicyInfo.from_files(read_bundle(compiled.path), compiled.root)
    timings = {"compile": time.monotonic() - compile_started}
    run = _evaluate(_kind(engine, server), compiled.path if compiled else None, local, server, timeout,
                    subjects, previous, now, fail_on, timings, compiled.cached if compiled else None, require)
    timings["total"] = time.monotonic() - started
    _emit(run, fmt, output)
    sys.exit(run.exit_code)


@click.command("eval")
@click.option("--bundle", type=click.Path(exists=True, path_type=Path),
              help="A bundle (.tar.gz or directory) from `regate compile`. May be left out with --opa-url.")
@click.option("--input", "inputs", multiple=True, required=True, type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="A regate input document (repeatable; each is one image).")
@_engine_options
@_report_options
def eval_command(bundle, inputs, engine, opa_url, opa_token, opa_ca_cert, opa_client_cert, opa_client_key, insecure,
                 timeout, fmt, fail_on, output, now):
    """Evaluate prepared input documents with a prepared bundle; exit codes as `regate check`."""
    from ..engine.policy import read_bundle

    started = time.monotonic()
    now, _ = _now(now)
    server = _server_options(opa_url, opa_token, opa_ca_cert, opa_client_cert, opa_client_key, insecure, timeout)
    if bundle is None and server is None:
        raise UserError("give the bundle to evaluate with --bundle PATH (or --opa-url of a server that serves it)")
    local = PolicyInfo.from_files(read_bundle(bundle)) if bundle else None
    subjects = [Subject(str(path), document=lambda path=path: load_prepared(path)) for path in inputs]
    timings: dict[str, float] = {}
    run = _evaluate(_kind(engine, server), bundle, local, server, timeout, subjects, None, now, fail_on, timings)
    timings["total"] = time.monotonic() - started
    _emit(run, fmt, output)
    sys.exit(run.exit_code)


@click.command("push")
@click.option("--policy", "policies", multiple=True, required=True, type=click.Path(exists=True),
              help="Policy file or directory (repeatable).")
@_connection_options
def push_command(policies, opa_url, opa_token, opa_ca_cert, opa_client_cert, opa_client_key, insecure, timeout):
    """Compile policies and upload their modules and data to the OPA server at --opa-url."""
    from ..engine.policy import read_bundle
    from ..engine.push import push
    from ..engine.server import ServerEngine

    server = _server_options(opa_url, opa_token, opa_ca_cert, opa_client_cert, opa_client_key, insecure, timeout)
    if server is None:
        raise UserError("regate push uploads to an OPA server: give --opa-url URL")
    compiled = _compile(policies, None)
    with ServerEngine.connect(server) as target:
        pushed = push(target, read_bundle(compiled.path))
    removed = f", removed {pushed.removed} stale" if pushed.removed else ""
    click.echo(f"pushed revision {pushed.revision[:12]} to {server.url}: {pushed.modules} Rego packages and "
               f"data.regate{removed}", err=True)
