"""`regate schema` and `regate extract`: image analysis output and images → one input document."""

from __future__ import annotations

import io
import json
from pathlib import Path

import click
import orjson

from .. import progress
from ..atomic import write_atomically
from ..errors import UserError
from ..extract.adapters.platforms import platform_option
from ..extract.base import ExtractOptions
from ..resources import input_schema
from .options import analysis_options


def _dump(document: dict) -> bytes:
    """The document as UTF-8 JSON text, as bytes: what is written, without decoding orjson's output
    to text and encoding it again (two passes over the text: ~20 ms at 10,000 packages)."""
    try:  # orjson writes the text in one go, ten times faster than the json module
        return orjson.dumps(document, option=orjson.OPT_INDENT_2 | orjson.OPT_SORT_KEYS) + b"\n"
    except orjson.JSONEncodeError:  # integers past 64 bits, which an input may hold
        pass
    # json.dumps with an indent joins a list of one small string per token (gigabytes for an image
    # of a million files); json.dump writes them out one by one and the buffer holds only the text.
    buffer = io.StringIO()
    json.dump(document, buffer, indent=2, sort_keys=True, ensure_ascii=False, allow_nan=False)
    buffer.write("\n")
    return buffer.getvalue().encode("utf-8")


def content_paths(contents: tuple[str, ...]) -> tuple[str, ...]:
    """The paths and globs whose file contents an image read keeps: the defaults and `--content`'s."""
    from ..extract.globs import compile_globs

    for path in contents:
        if not path.startswith("/"):
            raise UserError(f"--content {path!r}: give an absolute path or glob inside the image, e.g. /etc/passwd")
    compile_globs(contents)  # a broken glob is refused before any image is read
    return tuple(dict.fromkeys((*ExtractOptions().content_paths, *contents)))


def content_patterns(options: tuple[str, ...]) -> tuple[tuple[str, str], ...]:
    """Anchore's default content-search patterns, then --content-search NAME=REGEX (a name given replaces a default)."""
    from ..extract.contentsearch import ANCHORE_DEFAULTS, parse_option

    return (*ANCHORE_DEFAULTS, *map(parse_option, options))


def malware_options(malware_scan: bool, clamav_db: Path | None) -> dict:
    if clamav_db is not None and not malware_scan:
        raise UserError("--clamav-db is for --malware-scan")
    return {"malware_scan": malware_scan, "clamav_db": str(clamav_db or "")}


@click.command("schema")
def schema_command() -> None:
    """Print the JSON Schema of the input document policies evaluate."""
    click.echo(json.dumps(input_schema(), indent=2, ensure_ascii=False))


@click.command("extract")
@click.argument("files", nargs=-1, type=click.Path(path_type=Path))
@click.option("--image", "image", metavar="REF|PATH", help="An image to read: a docker-archive or OCI path, else a reference the Docker daemon knows.")
@click.option("--baseline", metavar="DOC|REPORT|IMAGE|URL",
              help="The approved image to compare with: a `regate extract` document, a `regate check --format json` "
                   "report, an image (archive, OCI layout, daemon reference) or an http(s) URL; fills `changes` and `drift`.")
@click.option("--content", "contents", multiple=True, metavar="PATH|GLOB",
              help="Also record the text of the image's files at this path or matching this glob (`/etc/**/*.conf`; repeatable).")
@analysis_options
@click.option("--no-syft", is_flag=True, help="Do not run syft on --image even when it is installed.")
@click.option("--name", metavar="REF", help="The reference of the image, for an archive or report that carries none.")
@click.option("--platform", default="", metavar="OS/ARCH[/VARIANT]",
              help="The platform to read from an input that describes several (a manifest list, a multi-platform SBOM).")
@click.option("-o", "--output", type=click.Path(path_type=Path), help="Write the document here instead of standard output.")
def extract_command(files: tuple[Path, ...], image: str | None, baseline: str | None, contents: tuple[str, ...],
                    content_search: tuple[str, ...], malware_scan: bool, clamav_db: Path | None, dockerfile: Path | None,
                    no_syft: bool, name: str | None, platform: str, output: Path | None) -> None:
    """Merge image analysis FILES (Syft, CycloneDX, SPDX, Grype, Trivy, docker inspect,
    image configs) and/or an --image into one regate input document."""
    from ..extract.dockerfile import read_dockerfile
    from ..extract.document import build_document
    from ..extract.registry import extract_image, extract_path
    from ..extract.secrets import masker

    if not files and not image:
        raise UserError("nothing to extract: give image analysis FILEs and/or --image REF|PATH")
    options = ExtractOptions(
        content_paths=content_paths(contents),
        run_syft=not no_syft,
        progress=progress.on_terminal(),
        platform=platform_option(platform),
        content_patterns=content_patterns(content_search),
        **malware_options(malware_scan, clamav_db),
    )
    # First: a Dockerfile given wins over one an input carries (and a bad one fails before any image is read).
    extractions = [read_dockerfile(dockerfile)] if dockerfile is not None else []
    extractions += [extract_path(path, options) for path in files]
    if image:
        extractions.append(extract_image(image, options))
    if malware_scan and not any(source.tool == "clamav" for e in extractions for source in e.also):
        click.echo("regate: warning: --malware-scan scans images regate reads, and none was given: nothing was scanned",
                   err=True)
    mask = masker(config=True)  # a warning may quote what the input holds, and that may be a credential
    try:
        previous = None
        if baseline:
            from ..baselines import load_baseline_source  # it imports the policy engine's model

            previous = load_baseline_source(baseline, options)
        text = _dump(build_document(extractions, previous, name))
    finally:  # after merging, which warns of what inputs disagree on; also when the merge is refused
        for extraction in extractions:
            for warning in extraction.warnings:
                click.echo(mask(f"regate: warning: {extraction.source.path or extraction.source.format}: {warning}"),
                           err=True)
    if output is None or str(output) == "-":
        click.echo(text, nl=False)
    else:
        write_atomically(output, text, durable=False)  # output a rerun makes again, as a report is
