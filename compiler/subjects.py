"""What `regate check` is given → the images to evaluate, each with its input document.

One module for `regate check` and `regate test`, so that a test case's input
file becomes exactly the document the gate would evaluate. What counts as one
image (docs/cli.md):

- an IMAGE_REF (not an existing path) or `--image REF|PATH`: one image each;
- an image archive or OCI layout directory: one image each;
- a regate input document (JSON with `schema_version`): one image each;
- a directory that is not an image layout: each `*.json` in it is an input
  document, one image each;
- a JSON-lines file (`*.jsonl`, `*.ndjson`): each non-blank line is an input
  document, one image each;
- analysis files (Syft, Grype, Trivy, ...): together ONE image, merged with
  the only image given, if one is.
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable

from .errors import InputError, UserError
from .extract.jsonload import JSON_LINES, starts_like_json

if TYPE_CHECKING:
    from .extract.base import ExtractOptions

_BLANK = b" \t\n\r\x0b\x0c"  # what bytes.strip() strips


def _warn_on_stderr(message: str) -> None:
    from .extract.secrets import masker

    # A warning may quote what the input holds, and that may be a credential.
    print(masker(config=True)(f"regate: warning: {message}"), file=sys.stderr)


@dataclass
class Subject:
    """One image to evaluate; its input document is built only when its turn comes,
    from a prepared document or from extractions merged in order."""

    label: str
    document: Callable[[], dict] | None = None
    extractions: list[Callable] = field(default_factory=list)
    name: str | None = None  # --name: the reference of an image whose inputs carry none

    def load(self, baseline: dict | None, warn: Callable[[str], None] = _warn_on_stderr) -> tuple[dict, frozenset[str]]:
        """The input document, its secrets masked, and the secret values found in it (held in
        memory only, for the report layer to mask wherever they might still show)."""
        from .extract.conceal import conceal

        if self.document is not None:
            document = self.document()
            if self.name is not None:
                from .extract.document import name_image

                name_image(document["image"], self.name)
            return document, conceal(document)
        # Building a document imports the merging, drift and Dockerfile code a prepared one never needs.
        from .extract.document import build_concealed

        extractions = [extract() for extract in self.extractions]
        try:
            return build_concealed(extractions, baseline, self.name)
        finally:  # after merging, which warns of what inputs disagree on; also when the merge is refused
            for extraction in extractions:
                for warning in extraction.warnings:
                    warn(f"{extraction.source.path or extraction.source.format}: {warning}")


def looks_like_path(target: str) -> bool:
    return target.startswith(("/", "./", "../", "~")) or target.endswith((".json", ".tar", ".tar.gz", ".tgz"))


def prepared_document(doc, path: str) -> dict:
    from .extract.validation import load_input_document

    return load_input_document(doc, path, "pass image analysis files to `regate check` directly or run `regate extract`")


def load_prepared(path: Path, read_json: Callable[[Path], Any] | None = None) -> dict:
    """The prepared document in `path`, read by `read_json` (`load_json` unless given)."""
    from .extract.jsonload import load_json

    return prepared_document((read_json or load_json)(path), str(path))


def json_lines_subjects(path: Path) -> list[Subject]:
    """One subject per non-blank line of a JSON-lines file, labelled `FILE:LINE`; only where each
    line starts is kept, and a line is read when its document is needed."""
    from .extract.jsonload import MAX_JSON_BYTES, parse_json

    def load(offset: int, label: str) -> dict:
        with open(path, "rb") as handle:
            handle.seek(offset)
            line = handle.readline(MAX_JSON_BYTES + 1)
        if len(line) > MAX_JSON_BYTES:
            raise InputError(label, f"is over the {MAX_JSON_BYTES:,}-byte limit for JSON input")
        try:
            text = line.decode("utf-8-sig" if offset == 0 else "utf-8")
        except UnicodeDecodeError as exc:
            raise InputError(label, f"is not UTF-8 text (invalid byte at offset {exc.start})") from None
        return prepared_document(parse_json(text, label), label)

    subjects = []
    try:
        for number, offset in _document_lines(path):
            label = f"{path}:{number}"
            subjects.append(Subject(label, document=lambda offset=offset, label=label: load(offset, label)))
    except OSError as exc:
        raise InputError(str(path), f"cannot be read: {exc.strerror or exc}") from None
    if not subjects:
        raise InputError(str(path), "is a JSON-lines file with no input documents")
    return subjects


def _document_lines(path: Path) -> list[tuple[int, int]]:
    """The number and offset of each non-blank line of `path`, found by searching the mapped file
    for newlines: iterating over a file's lines copied every line of a batch (~0.12 ms per
    1,000-package document, before the first document can be sent)."""
    import mmap

    with open(path, "rb") as handle:
        if not os.fstat(handle.fileno()).st_size:
            return []
        with mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ) as text:
            found, start, number = [], 0, 1
            while start < len(text):
                end = text.find(b"\n", start)
                end = len(text) if end < 0 else end + 1
                # A document starts with `{`; only a line starting otherwise is looked at whole.
                if text[start] not in _BLANK or text[start:end].strip():
                    found.append((number, start))
                start, number = end, number + 1
    return found


def collect_subjects(targets: tuple[str, ...], images: tuple[str, ...], options: ExtractOptions,
                     read_json: Callable[[Path], Any] | None = None) -> list[Subject]:
    """The subjects of `targets` and `images`; `read_json` reads a JSON file (`load_json` unless given)."""
    from .extract.jsonload import load_json
    from .extract.validation import is_input_document

    read_json = read_json or load_json

    def registry():
        # Only what is not a prepared document needs the adapters: importing them all would cost a
        # pipeline that checks prepared documents a twentieth of its run.
        from .extract import registry

        return registry

    subjects: list[Subject] = []
    analysis = Subject("")  # analysis files, all about one image
    image_subjects: list[Subject] = []

    def add_image(label: str, extract: Callable) -> None:
        image_subjects.append(Subject(label, extractions=[extract]))
        subjects.append(image_subjects[-1])

    def add_analysis(label: str, extraction) -> None:
        if not analysis.extractions:
            subjects.append(analysis)
        analysis.label = f"{analysis.label} + {label}" if analysis.label else label
        analysis.extractions.append(lambda: extraction)

    for target in targets:
        path = Path(target)
        if not path.exists():
            if looks_like_path(target):
                raise InputError(target, "no such file or directory")
            add_image(target, lambda ref=target: registry().extract_image(ref, options))
        elif path.is_dir() and not any(a.detect_path(path) for a in registry().path_adapters()):
            documents = sorted(p for p in path.iterdir() if p.suffix == ".json" and p.is_file())
            if not documents:
                raise InputError(target, "is a directory with no input documents (*.json) and not an OCI image layout")
            subjects += [Subject(str(p), document=lambda p=p: load_prepared(p)) for p in documents]
        elif path.is_file() and path.suffix.lower() in JSON_LINES:
            subjects += json_lines_subjects(path)
        elif path.is_file() and starts_like_json(path):
            doc = read_json(path)
            if is_input_document(doc):
                subjects.append(Subject(target, document=lambda doc=doc, target=target: prepared_document(doc, target)))
                continue
            add_analysis(target, registry().extract_json(doc, target, options.platform))
        elif not any(a.detect_path(path) for a in registry().path_adapters()):
            # A text analysis file (clamscan output), else the extractor's explanation of what this file is.
            add_analysis(target, registry().extract_path(path, options))
        else:
            add_image(target, lambda path=path: registry().extract_path(path, options))
    for image in images:
        add_image(image, lambda ref=image: registry().extract_image(ref, options))
    if analysis.extractions and image_subjects:
        if len(image_subjects) > 1:
            raise UserError(f"analysis files ({analysis.label}) describe one image, but {len(image_subjects)} images "
                            "are given; check each image with its own files, or prepare input documents with `regate extract`")
        # Like `regate extract FILES --image X`: the files add to what regate reads from the image.
        image_subjects[0].label += f" + {analysis.label}"
        image_subjects[0].extractions += analysis.extractions
        subjects = [s for s in subjects if s is not analysis]
    if not subjects:
        raise UserError("nothing to check: give an IMAGE_REF, --image, analysis files, input documents or a directory of them")
    return subjects
