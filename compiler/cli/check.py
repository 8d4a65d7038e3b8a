"""`regate check`, `regate eval`, `regate push`: the CI gate.

`check` compiles the policy (cached), turns what it is given into input
documents (`regate.subjects`: what counts as one image), evaluates each with
one engine and writes one report; the exit code is the verdict.
"""

from __future__ import annotations

import os
import sys
import time
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

import click

from ..engine import DEFAULT_TIMEOUT
from ..errors import UserError
from ..report import FORMATS
from .options import analysis_options

if TYPE_CHECKING:
    from ..engine.policy import PolicyInfo
    from ..engine.shapes import Serialised
    from ..extract.base import ExtractOptions
    from ..report import Run
    from ..subjects import Subject

# A check of one prepared document starts OPA on it before anything else it imports (engine.ahead):
# the imports a command needs only after that are made where they are used.

# ------------------------------------------------------------------ options


def _engine_options(command):
    command = _connection_options(command)
    command = click.option("--workers", type=click.IntRange(min=1), metavar="N",
                           help="Evaluate on a pool of N managed local OPA servers (implies --engine server).")(command)
    return click.option("--engine", type=click.Choice(["cli", "server"]),
                        help="Evaluate with `opa eval` (cli, the default without --opa-url) or an OPA server (server: "
                             "the one at --opa-url, else a managed `opa run --server` started for this run).")(command)


def _connection_options(command):
    options = [
        click.option("--opa-url", "opa_urls", metavar="URL", multiple=True,
                     help="Root URL of an OPA server, http(s)://HOST[:PORT]; repeat it to spread the images over a fleet."),
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


def _verification_options(command):
    from ..signing import ALGORITHMS, DEFAULT_ALGORITHM

    options = [
        click.option("--verification-key", type=click.Path(exists=True, dir_okay=False, path_type=Path),
                     help="Refuse a bundle whose signature does not verify with this PEM public key (or HMAC secret "
                          "file), as `opa run --verification-key` does."),
        click.option("--signing-alg", type=click.Choice(ALGORITHMS), default=DEFAULT_ALGORITHM, show_default=True,
                     help="Algorithm of --verification-key."),
        click.option("--scope", default="", help="Scope the bundle's signature must carry (as `opa run --scope`)."),
    ]
    for option in reversed(options):
        command = option(command)
    return command


def _server_options(opa_urls, opa_token, opa_ca_cert, opa_client_cert, opa_client_key, insecure, timeout):
    """One ServerOptions per --opa-url (None without any): a fleet shares its credentials."""
    if not opa_urls:
        if opa_ca_cert or opa_client_cert or opa_client_key or insecure:
            raise UserError("--opa-ca-cert, --opa-client-cert, --opa-client-key and --insecure need --opa-url")
        return None
    from ..engine.server import ServerOptions  # the server client costs a second to import: only when used

    return [ServerOptions(url, opa_token, opa_ca_cert, opa_client_cert, opa_client_key, insecure, timeout)
            for url in dict.fromkeys(opa_urls)]


def _now(value: str | None) -> tuple[str | None, date | None]:
    """The `now` to put in input documents, and the date compile-time expiry warnings use."""
    if value is None:
        return None, None
    from ..early import today_of

    today = today_of(value)
    if today is None:
        raise click.BadParameter(f"{value!r} is not an RFC 3339 time with an offset (e.g. 2026-01-31T12:00:00Z)",
                                 param_hint="--now")
    return value, today


def _require(value: str | None) -> tuple[str, ...]:
    kinds = tuple(dict.fromkeys(k.strip() for k in (value or "").split(",") if k.strip()))
    if not kinds:
        return kinds
    from ..extract.coverage import DATA_KINDS, OPTIONAL_KINDS

    unknown = [k for k in kinds if k not in DATA_KINDS + OPTIONAL_KINDS]
    if unknown:
        raise click.BadParameter(f"unknown kind of data {', '.join(map(repr, unknown))}; "
                                 f"kinds: {', '.join(DATA_KINDS + OPTIONAL_KINDS)}", param_hint="--require")
    return kinds


# ------------------------------------------------------------------ evaluation


def _compile(policies: tuple[str, ...], today: date | None, hit=None):
    """The cached bundle of --policy (`hit` when it was found already); compile errors are printed and exit 2."""
    from ..cache import compile_cached
    from ..diagnostics import Diagnostics
    from ..opa import find_opa

    # The compile command's module (its printing of diagnostics) only when there is something to print.
    try:
        compiled = hit or compile_cached(list(policies), today, find_opa().version)
    except Diagnostics as found:
        from .compile import report_failure

        report_failure(found, policies)
        sys.exit(2)
    if compiled.warnings:
        from .compile import print_diagnostics, sources_of

        print_diagnostics(list(compiled.warnings), sources_of(policies))
    return compiled


def _policy_bundle(bundle: Path | None, verification_key: Path | None, signing_alg: str,
                   scope: str) -> tuple[Path | None, dict[str, bytes] | None]:
    """The bundle to evaluate and its files: --bundle as given, or with --verification-key a private
    copy of exactly the files whose signature held (refused, exit 2, when it does not).

    The key verifies a bundle regate reads. A server at --opa-url verifies the bundles it loads itself
    (`regate opa-config --verification-key`); regate pins the revision it serves to --policy or --bundle.
    """
    if verification_key is None:
        context = click.get_current_context()
        given = [f"--{name.replace('_', '-')}" for name in ("signing_alg", "scope")
                 if context.get_parameter_source(name) is not click.core.ParameterSource.DEFAULT]
        if given:
            described = "they describe" if len(given) > 1 else "it describes"
            raise UserError(f"{' and '.join(given)}: only with --verification-key, the key {described}")
    if bundle is None:
        if verification_key is not None:
            raise UserError("--verification-key checks the signature of a compiled bundle: give --bundle PATH "
                            "(an OPA server at --opa-url verifies the bundles it loads itself, configured by "
                            "`regate opa-config --verification-key`)")
        return None, None
    if verification_key is not None and bundle.is_dir():
        # OPA names a directory's files with the directory's path, which no signature lists.
        raise UserError(f"{bundle}: refused, a directory bundle cannot be verified (stock OPA refuses it too: its "
                        "files are named with the directory's path, which the signature does not list); "
                        "give the signed .tar.gz")
    from ..engine.policy import read_bundle

    files = read_bundle(bundle)
    if verification_key is not None:
        from ..signing import SignatureError, Verification, verify

        try:
            verify(files, Verification(verification_key, signing_alg, scope))
        except SignatureError as exc:
            raise UserError(f"{bundle}: refused, its signature does not hold: {exc}") from None
        # The engine reads what was verified, not the file again (it may have changed since).
        bundle = _private_copy(files)
    return bundle, files


def _start_ahead(target: str | None, bundle: Path | None, timeout: float):
    """`opa eval` of `bundle` already running on `target`'s content when it is one prepared
    document (`regate.engine.ahead`): the run the entry point started (`regate.early`) if it is
    that one, else one started now. None when the command evaluates no file as it is (`target`
    None), the bundle is not known yet, or `target` is no prepared document. It is stopped, if
    still running, when the command ends."""
    from ..early import start, take

    ahead = take(bundle, target, timeout)
    if ahead is None and target is not None and bundle is not None:
        ahead = start(target, bundle, timeout)
    if ahead is not None:
        click.get_current_context().call_on_close(ahead.cancel)
    return ahead


def _private_copy(files: dict[str, bytes]) -> Path:
    """`files` as a .tar.gz in a private directory removed when the command ends."""
    import shutil
    import tempfile

    from ..bundle import tarball

    directory = Path(tempfile.mkdtemp(prefix="regate-verified-"))
    click.get_current_context().call_on_close(lambda: shutil.rmtree(directory, ignore_errors=True))
    copy = directory / "bundle.tar.gz"
    copy.write_bytes(tarball(files))
    return copy


def _evaluate(kind: str, bundle: Path | None, local: PolicyInfo | None, server, timeout: float,
              subjects: list[Subject], baseline: dict | None, now: str | None, fail_on: str, timings: dict,
              cached: bool | None = None, require: tuple[str, ...] = (), fmt: str = "text",
              options: ExtractOptions | None = None, explain: bool = False, workers: int | None = None,
              ahead=None) -> Run:
    """Every subject through one engine: one `opa eval` per input, one server for all, or a pool of
    servers. An extracted image without --baseline whose mapping names one is evaluated again
    against it."""
    from .. import progress
    from ..baselines import load_baseline_source, mapping_baseline
    from ..early import take_servers
    from ..engine import open_engine
    from ..engine.shapes import serialise
    from ..extract.base import ExtractOptions
    from ..report import Result, Run

    def mapped_baseline_possible(subject: Subject) -> bool:
        return baseline is None and subject.document is None

    def prepare(subject: Subject) -> tuple[Serialised, tuple[frozenset[str], dict | None, dict | Serialised | None]]:
        document, secrets = subject.load(baseline)
        if now is not None:
            document["now"] = now
        if require:
            document["require"] = list(require)
        # Serialised once: the engine sends these bytes and the JSON report embeds them. The document
        # itself outlives its evaluation only when something after it reads it.
        evaluated = serialise(document)
        keep = explain or mapped_baseline_possible(subject)
        return evaluated, (secrets, document if keep else None, _kept_input(document, evaluated, fmt))

    if kind == "server" and server is None and workers is None and len(subjects) > 1:
        workers = 1  # one managed server, kept busy with several requests at a time
    results = []
    counted = len(subjects) > 1 and progress.on_terminal()
    with open_engine(kind, bundle, server, timeout, workers, ahead, take_servers()) as engine, \
            progress.step("checking images", counted, len(subjects)) as step:
        if server is not None and local is not None:
            engine.require_revision(local.revision)
        policy = local if local is not None else engine.served_policy()
        # Documents are built when their turn comes and dropped once decided, however many images.
        for done in engine.evaluate_all(subjects, prepare):
            secrets, document, kept = done.context
            decision, explanation = done.decision, None
            timing = {"extract": done.prepare_seconds, "evaluate": done.evaluate_seconds}
            if document is not None:
                remapped = mapped_baseline_possible(done.subject)
                approved = mapping_baseline(policy, decision.get("mapping")) if remapped else None
                if approved is not None:  # the mapping that matched names the baseline: compare, then decide
                    from ..extract.document import add_baseline

                    secrets |= add_baseline(document, load_baseline_source(approved, options or ExtractOptions()))
                    evaluated = serialise(document)
                    decision = engine.evaluate(evaluated)
                    kept = _kept_input(document, evaluated, fmt)
                explanation = _explain(engine, policy, fail_on, timeout, document, decision, timing) if explain else None
            results.append(Result(done.subject.label, decision, timing, secrets, input=kept, explanation=explanation))
            step.advance()
        info = engine.describe()
    return Run(tuple(results), policy, info, fail_on, timings, cached)


def _kept_input(document: dict, evaluated: Serialised, fmt: str) -> dict | Serialised | None:
    """What the report in `fmt` shows of the input besides the decision (see `Result.input`): for
    JSON, the very bytes OPA evaluated (`evaluated`, `document` serialised)."""
    if fmt == "json":
        return evaluated
    if fmt == "markdown":
        return {"drift": document.get("drift") or {}, "baseline": document.get("baseline")}
    return None


def _explain(engine, policy: PolicyInfo, fail_on: str, timeout: float, document: dict, decision: dict,
             timing: dict) -> dict:
    from ..explain import Context, explain
    from ..opa import find_opa

    started = time.monotonic()
    explanation = explain(Context(engine, find_opa(), policy, fail_on, timeout), document, decision)
    timing["explain"] = time.monotonic() - started
    return explanation


def _emit(run: Run, fmt: str, output: Path | None) -> None:
    from ..report import render
    from .output import deliver

    color = (fmt == "text" and output is None and sys.stdout is not None and sys.stdout.isatty()
             and "NO_COLOR" not in os.environ)
    deliver(render(fmt, run, color), output)
    if output is None:
        return
    images = f"{len(run.results)} image{'s' if len(run.results) != 1 else ''}"
    verdict = "ERROR" if run.failed else run.verdict
    click.echo(f"regate: {verdict} ({images}); {fmt} report written to {output}", err=True)


def _add_dockerfile(subjects: list[Subject], path: Path) -> None:
    from ..extract.dockerfile import read_dockerfile

    if len(subjects) > 1:
        raise UserError(f"--dockerfile describes one image, but {len(subjects)} are given")
    if subjects[0].document is not None:
        raise UserError("--dockerfile applies to images and analysis files regate extracts; "
                        "pass it to `regate extract` when preparing the input document")
    dockerfile = read_dockerfile(path)  # read now: a bad Dockerfile is an error before any evaluation
    subjects[0].extractions.insert(0, lambda: dockerfile)


def _kind(engine: str | None, server, workers: int | None = None) -> str:
    return engine or ("server" if server is not None or workers else "cli")


# ------------------------------------------------------------------ commands


@click.command("check")
@click.argument("targets", nargs=-1, metavar="[IMAGE_REF | FILE | DIR]...")
@click.option("--image", "images", multiple=True, metavar="REF|PATH",
              help="An image to check: a docker-archive or OCI path, else a reference the Docker daemon knows (repeatable).")
@click.option("--policy", "policies", multiple=True, type=click.Path(exists=True),
              help="Policy file or directory (repeatable). May be left out with --opa-url: the server's policy is used.")
@click.option("--bundle", type=click.Path(exists=True, path_type=Path),
              help="A compiled (and possibly signed) bundle, .tar.gz or directory, instead of --policy.")
@_verification_options
@_engine_options
@_report_options
@click.option("--baseline", metavar="DOC|REPORT|IMAGE|URL",
              help="The approved image to compare with: a `regate extract` document, a `regate check --format json` "
                   "report, an image (archive, OCI layout, daemon reference) or an http(s) URL; extracted images get "
                   "`changes` and `drift` against it.")
@analysis_options
@click.option("--no-syft", is_flag=True, help="Do not run syft on images even when it is installed.")
@click.option("--content", "contents", multiple=True, metavar="PATH|GLOB",
              help="Also record the text of the image's files at this path or matching this glob (repeatable).")
@click.option("--name", metavar="REF", help="The reference of the image, for an archive or report that carries none "
                                            "(mappings and image lists match it).")
@click.option("--require", metavar="KIND,...", callback=lambda _c, _p, value: _require(value),
              help="Data the evaluation must have (packages, vulnerabilities, files, file_contents, secrets, users, "
                   "misconfigurations, image_config, baseline, content_search, malware, package_verification); "
                   "missing data is an error (exit 2).")
@click.option("--platform", default="", metavar="OS/ARCH[/VARIANT]",
              help="The platform to read from an input that describes several (a manifest list, a multi-platform SBOM).")
@click.option("--explain", is_flag=True, help="For each STOP (WARN with --fail-on warn): the smallest change that "
                                              "passes, as a plan and a JSON Patch proven by evaluating it (docs/explain.md).")
def check_command(targets, images, policies, bundle, verification_key, signing_alg, scope, engine, workers, opa_urls,
                  opa_token, opa_ca_cert, opa_client_cert, opa_client_key, insecure, timeout, fmt, fail_on, output, now,
                  baseline, content_search, malware_scan, clamav_db, dockerfile, no_syft, contents, name, require,
                  platform, explain):
    """Check images against policies: exit 0 to pass, 1 on STOP (or WARN with --fail-on warn), 2 on errors.

    Each IMAGE_REF, --image, image archive, input document, or input document in a
    DIR is one image; analysis FILEs (Syft, Grype, Trivy, ...) together describe one.
    """
    started = time.monotonic()
    now, today = _now(now)
    server = _server_options(opa_urls, opa_token, opa_ca_cert, opa_client_cert, opa_client_key, insecure, timeout)
    if policies and bundle is not None:
        raise UserError("give the policy either as --policy sources or as a compiled --bundle, not both")
    if not policies and bundle is None and server is None:
        raise UserError("give the policy to check against with --policy PATH or --bundle PATH "
                        "(or --opa-url of a server that serves it)")
    # Before any image is read: a bundle that does not verify is refused first.
    bundle, files = _policy_bundle(bundle, verification_key, signing_alg, scope)
    kind = _kind(engine, server, workers)
    # One prepared document evaluated as it is: OPA can start on it at once when the bundle is known.
    as_given = (len(targets) == 1 and not images and kind == "cli"
                and not (now or require or name or dockerfile or baseline))
    from ..early import cached

    compile_started = time.monotonic()
    hit = cached(policies, today) if as_given and policies else None
    looked_up = time.monotonic() - compile_started
    ahead = _start_ahead(targets[0] if as_given else None, hit.path if hit else bundle, timeout)
    from .. import progress
    from ..baselines import load_baseline_source
    from ..engine.policy import PolicyInfo, read_bundle
    from ..extract.adapters.platforms import platform_option
    from ..extract.base import ExtractOptions
    from ..subjects import collect_subjects
    from .extract import content_paths, content_patterns, malware_options

    options = ExtractOptions(content_paths=content_paths(contents), run_syft=not no_syft, progress=progress.on_terminal(),
                             platform=platform_option(platform), content_patterns=content_patterns(content_search),
                             **malware_options(malware_scan, clamav_db))
    subjects = collect_subjects(targets, images, options, ahead.read if ahead else None)
    if name is not None:
        if len(subjects) > 1:
            raise UserError(f"--name names one image, but {len(subjects)} are given")
        subjects[0].name = name
    if dockerfile is not None:
        _add_dockerfile(subjects, dockerfile)
    if baseline and all(s.document is not None for s in subjects):
        raise UserError("--baseline applies to images and analysis files regate extracts; "
                        "prepared input documents already carry their `changes`")
    previous = load_baseline_source(baseline, options) if baseline else None
    compile_started = time.monotonic()  # reading the inputs above is not compiling
    compiled = _compile(policies, today, hit) if policies else None
    local = PolicyInfo.from_files(files) if files is not None else None
    if compiled is not None:
        local = PolicyInfo.from_files(read_bundle(compiled.path), compiled.root)
    timings = {"compile": looked_up + time.monotonic() - compile_started}
    run = _evaluate(kind, compiled.path if compiled else bundle, local, server, timeout, subjects, previous, now,
                    fail_on, timings, compiled.cached if compiled else None, require, fmt, options, explain, workers,
                    ahead)
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
@_verification_options
def eval_command(bundle, inputs, engine, workers, opa_urls, opa_token, opa_ca_cert, opa_client_cert, opa_client_key,
                 insecure, timeout, fmt, fail_on, output, now, verification_key, signing_alg, scope):
    """Evaluate prepared input documents with a prepared bundle; exit codes as `regate check`."""
    started = time.monotonic()
    now, _ = _now(now)
    server = _server_options(opa_urls, opa_token, opa_ca_cert, opa_client_cert, opa_client_key, insecure, timeout)
    if bundle is None and server is None:
        raise UserError("give the bundle to evaluate with --bundle PATH (or --opa-url of a server that serves it)")
    bundle, files = _policy_bundle(bundle, verification_key, signing_alg, scope)
    kind = _kind(engine, server, workers)
    as_given = len(inputs) == 1 and kind == "cli" and now is None and bundle is not None
    ahead = _start_ahead(str(inputs[0]) if as_given else None, bundle, timeout)
    from ..engine.policy import PolicyInfo
    from ..subjects import Subject, load_prepared

    local = PolicyInfo.from_files(files) if files is not None else None
    read_json = ahead.read if ahead else None
    subjects = [Subject(str(path), document=lambda path=path: load_prepared(path, read_json)) for path in inputs]
    timings: dict[str, float] = {}
    run = _evaluate(kind, bundle, local, server, timeout, subjects, None, now, fail_on, timings, fmt=fmt,
                    workers=workers, ahead=ahead)
    timings["total"] = time.monotonic() - started
    _emit(run, fmt, output)
    sys.exit(run.exit_code)


@click.command("push")
@click.option("--policy", "policies", multiple=True, required=True, type=click.Path(exists=True),
              help="Policy file or directory (repeatable).")
@_connection_options
def push_command(policies, opa_urls, opa_token, opa_ca_cert, opa_client_cert, opa_client_key, insecure, timeout):
    """Compile policies and upload their modules and data to the OPA server at --opa-url."""
    from ..engine.policy import read_bundle
    from ..engine.push import push
    from ..engine.server import ServerEngine

    server = _server_options(opa_urls, opa_token, opa_ca_cert, opa_client_cert, opa_client_key, insecure, timeout)
    if server is None:
        raise UserError("regate push uploads to an OPA server: give --opa-url URL")
    compiled = _compile(policies, None)
    files = read_bundle(compiled.path)
    for options in server:  # every member of a fleet, in the order given
        with ServerEngine.connect(options) as target:
            pushed = push(target, files)
        removed = f", removed {pushed.removed} stale" if pushed.removed else ""
        click.echo(f"pushed revision {pushed.revision[:12]} to {options.url}: {pushed.modules} Rego packages and "
                   f"data.regate{removed}", err=True)
