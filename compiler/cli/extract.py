"""`regate schema` and `regate extract`: image analysis output and images → one input document."""

from __future__ import annotations

import io
import json
import sys
from pathlib import Path

import click
import orjson

from ..atomic import write_atomically
from ..errors import UserError
from ..extract.adapters.platforms import platform_option
from ..extract.base import ExtractOptions
from ..resources import input_schema


def _dump(document: dict) -> str:
    try:  # orjson writes the text in one go, ten times faster than the json module
        return orjson.dumps(document, option=orjson.OPT_INDENT_2 | orjson.OPT_SORT_KEYS).decode() + "\n"
    except orjson.JSONEncodeError:  # integers past 64 bits, which an input may hold
        pass
    # json.dumps with an indent joins a list of one small string per token (gigabytes for an image
    # of a million files); json.dump writes them out one by one and the buffer holds only the text.
    buffer = io.StringIO()
    json.dump(document, buffer, indent=2, sort_keys=True, ensure_ascii=False, allow_nan=False)
    buffer.write("\n")
    return buffer.getvalue()


@click.command("schema")
def schema_command() -> None:
    """Print the JSON Schema of the input document policies evaluate."""
    click.echo(json.dumps(input_schema(), indent=2, ensure_ascii=False))


@click.command("extract")
@click.argument("files", nargs=-1, type=click.Path(path_type=Path))
@click.option("--image", "image", metavar="REF|PATH", help="An image to read: a docker-archive or OCI path, else a reference the Docker daemon knows.")
@click.option("--baseline", type=click.Path(path_type=Path), help="A previous `regate extract` document; `changes` is the patch from it.")
@click.option("--content", "contents", multiple=True, metavar="PATH", help="Also record the text of this file of the image (repeatable).")
@click.option("--no-syft", is_flag=True, help="Do not run syft on --image even when it is installed.")
@click.option("--name", metavar="REF", help="The reference of the image, for an archive or report that carries none.")
@click.option("--platform", default="", metavar="OS/ARCH[/VARIANT]",
              help="The platform to read from an input that describes several (a manifest list, a multi-platform SBOM).")
@click.option("-o", "--output", type=click.Path(path_type=Path), help="Write the document here instead of standard output.")
def extract_command(files: tuple[Path, ...], image: str | None, baseline: Path | None, contents: tuple[str, ...], no_syft: bool,
                    name: str | None, platform: str, output: Path | None) -> None:
    """Merge image analysis FILES (Syft, CycloneDX, SPDX, Grype, Trivy, docker inspect,
    image configs) and/or an --image into one regate input document."""
    from ..extract.document import build_document, load_baseline
    from ..extract.jsonload import load_json
    from ..extract.registry import extract_image, extract_path
    from ..extract.secrets import masker

    if not files and not image:
        raise UserError("nothing to extract: give image analysis FILEs and/or --image REF|PATH")
    for path in contents:
        if not path.startswith("/"):
            raise UserError(f"--content {path!r}: give an absolute path inside the image, e.g. /etc/passwd")
    defaults = ExtractOptions()
    options = ExtractOptions(
        content_paths=tuple(dict.fromkeys((*defaults.content_paths, *contents))),
        run_syft=not no_syft,
        progress=sys.stderr.isatty(),
        platform=platform_option(platform),
    )
    extractions = [extract_path(path, options) for path in files]
    if image:
        extractions.append(extract_image(image, options))
    mask = masker(config=True)  # a warning may quote what the input holds, and that may be a credential
    for extraction in extractions:
        for warning in extraction.warnings:
            click.echo(mask(f"regate: warning: {extraction.source.path or extraction.source.format}: {warning}"), err=True)
    previous = load_baseline(load_json(baseline), str(baseline)) if baseline else None
    text = _dump(build_document(extractions, previous, name))
    if output is None or str(output) == "-":
        click.echo(text, nl=False)
    else:
        write_atomically(output, text)
