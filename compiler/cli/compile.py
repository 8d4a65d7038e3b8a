"""`regate compile`, `regate lint`, `regate fmt`."""

from __future__ import annotations

import sys
from datetime import date
from pathlib import Path

import click

from ..diagnostics import Diagnostic, Diagnostics, render_all
from ..signing import ALGORITHMS, DEFAULT_ALGORITHM, DEFAULT_KEY_ID

TODAY_HELP = "Date that exception expiry is judged against (default: today, UTC)."


def print_diagnostics(diagnostics: list[Diagnostic], sources: dict[str, str]) -> None:
    if diagnostics:
        text = render_all(diagnostics, sources)
        if any(not d.span.file.endswith(".regate") for d in diagnostics):
            # A file given that is no policy (a credentials file on the CI runner; `import` reads
            # *.regate files only) must not put a secret of it in the log through its line or token.
            from ..extract.secrets import masker

            text = masker(config=True)(text)
        click.echo(text, err=True)
        errors = sum(d.is_error for d in diagnostics)
        warnings = len(diagnostics) - errors
        summary = [f"{n} {word}{'s' if n != 1 else ''}" for n, word in ((errors, "error"), (warnings, "warning")) if n]
        click.echo(", ".join(summary), err=True)


def sources_of(paths) -> dict[str, str]:
    """Source texts for rendering diagnostics, read again only when needed."""
    from ..loader import Unreadable, display_path, policy_files, read_source

    found = {}
    for path in policy_files(list(paths)):
        try:
            found[display_path(path)] = read_source(path)
        except Unreadable:
            pass
    return found


def _today(value: str | None) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(f"{value} is not a date (YYYY-MM-DD)", param_hint="--today") from None


def failure_sources(found: Diagnostics, paths) -> dict[str, str]:
    """The sources of `paths` and of the imported files the diagnostics point into."""
    from ..loader import Unreadable, read_source

    sources = sources_of(paths)
    for d in found.diagnostics:
        if d.span.file not in sources:
            try:
                sources[d.span.file] = read_source(Path(d.span.file))
            except Unreadable:
                pass
    return sources


def report_failure(found: Diagnostics, paths) -> None:
    """Print the diagnostics of a failed run with the source lines they point at."""
    print_diagnostics(found.diagnostics, failure_sources(found, paths))


@click.command("compile")
@click.argument("paths", nargs=-1, required=True, type=click.Path(exists=True))
@click.option("-o", "--output", "output", type=click.Path(), required=True,
              help="Bundle to write (.tar.gz), or a directory with --format dir.")
@click.option("--format", "fmt", type=click.Choice(["bundle", "dir"]), default="bundle", show_default=True)
@click.option("--today", help=TODAY_HELP)
@click.option("--signing-key", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="Sign the bundle (.signatures.json, as `opa build --signing-key`) with this PEM private key, "
                   "or HMAC secret file for HS*.")
@click.option("--signing-alg", type=click.Choice(ALGORITHMS), default=DEFAULT_ALGORITHM, show_default=True,
              help="JWT algorithm of the signature.")
@click.option("--key-id", default=DEFAULT_KEY_ID, show_default=True,
              help="Name of the signing key (the JWT's `kid`), as the verifying OPA's `keys` config names it.")
@click.option("--claims-file", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="JSON object of extra claims for the signature (as `opa build --claims-file`).")
@click.option("--scope", help="Scope claim of the signature; verifiers must be configured with the same scope.")
def compile_command(paths, output, fmt, today, signing_key, signing_alg, key_id, claims_file, scope):
    """Compile policy files and directories into an OPA bundle."""
    from ..bundle import write_bundle, write_directory
    from ..compile import compile_policies
    from ..errors import UserError
    from ..signing import Signing

    if signing_key is None and (claims_file or scope is not None):
        raise UserError("--claims-file and --scope are claims of a signature: give --signing-key too")
    if signing_key is not None and fmt == "dir":
        # OPA 1.x names a directory's files with the directory's path, which no signature lists.
        raise UserError("--signing-key signs a .tar.gz bundle: stock OPA cannot verify a signed directory")
    signing = Signing(signing_key, signing_alg, key_id, claims_file, scope) if signing_key else None

    try:
        compiled = compile_policies(list(paths), _today(today))
    except Diagnostics as found:
        report_failure(found, paths)
        sys.exit(2)
    print_diagnostics(list(compiled.warnings), compiled.program.sources)
    out = Path(output)
    revision = write_directory(compiled, out) if fmt == "dir" else write_bundle(compiled, out, signing)
    policies = len(compiled.policy_set.policies)
    rules = sum(len(p.rules) for p in compiled.policy_set.policies)
    signed = f", signed ({signing_alg}, key {key_id})" if signing else ""
    click.echo(f"wrote {output}: {policies} polic{'y' if policies == 1 else 'ies'}, {rules} rules, "
               f"revision {revision[:12]}{signed}", err=True)


@click.command("lint")
@click.argument("paths", nargs=-1, required=True, type=click.Path(exists=True))
@click.option("--today", help=TODAY_HELP)
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
def lint_command(paths, today, fmt):
    """Check policies and print diagnostics; exit 2 on errors."""
    import json

    from ..compile import analyse

    try:
        policy_set, warnings = analyse(list(paths), _today(today))
        found, failed = warnings, False
    except Diagnostics as problems:
        found, failed = problems.diagnostics, True
    if fmt == "json":
        click.echo(json.dumps([d.as_json() for d in found], indent=2))
    elif failed:
        report_failure(Diagnostics(found), paths)
    else:
        print_diagnostics(found, policy_set.program.sources)
    sys.exit(2 if failed else 0)


@click.command("fmt")
@click.argument("paths", nargs=-1, required=True, type=click.Path(exists=True))
@click.option("--check", is_flag=True, help="Do not write; exit 1 if any file is not formatted.")
@click.option("--diff", "show_diff", is_flag=True,
              help="Print what would change as a unified diff; write nothing (with --check, also exit 1).")
def fmt_command(paths, check, show_diff):
    """Rewrite policy files in canonical form."""
    import difflib

    from ..errors import UserError
    from ..formatter import format_source
    from ..loader import Unreadable, display_path, policy_files, read_source

    unformatted = []
    for path in policy_files(list(paths)):
        name = display_path(path)
        try:
            source = read_source(path)
        except Unreadable as exc:
            raise UserError(f"cannot read {name}: {exc}") from None
        try:
            formatted = format_source(name, source)
        except Diagnostics as found:
            print_diagnostics(found.diagnostics, {name: source})
            sys.exit(2)
        if formatted == source:
            continue
        unformatted.append(name)
        if show_diff:
            click.echo("".join(difflib.unified_diff(source.splitlines(True), formatted.splitlines(True),
                                                    f"{name} (original)", f"{name} (formatted)")))
        if not (check or show_diff):
            from ..atomic import write_atomically

            write_atomically(path, formatted.encode("utf-8"))
            click.echo(f"formatted {name}", err=True)
    if check and unformatted:
        for name in unformatted:
            click.echo(f"not formatted: {name}", err=True)
        sys.exit(1)
