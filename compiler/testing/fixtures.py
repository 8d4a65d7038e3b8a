"""The input document of a test case: inline, from files, or both, at the case's time."""

from __future__ import annotations

from pathlib import Path

from ..extract.base import ExtractOptions
from ..inputs import complete, merge
from .spec import Case


class Fixtures:
    """Builds case inputs, reading each file (or set of files) once."""

    def __init__(self):
        self._documents: dict[tuple[Path, ...], dict] = {}

    def input_for(self, case: Case) -> dict:
        document = complete(merge(self.document(case.input_files), case.input) if case.input_files else case.input)
        if case.baseline_file is not None:
            from ..extract.document import changes

            baseline = self.document((case.baseline_file,))
            document["changes"] = changes(baseline, document)
            document["baseline"] = {k: baseline["image"][k] for k in ("reference", "digest", "id")
                                    if baseline["image"].get(k)}
            if "coverage" in document:
                document["coverage"]["baseline"] = {"sources": ["baseline"]}
        if case.now:
            document["now"] = case.now
        return document

    def document(self, paths: tuple[Path, ...]) -> dict:
        if paths not in self._documents:
            self._documents[paths] = _read(paths)
        return self._documents[paths]


def _read(paths: tuple[Path, ...]) -> dict:
    """A regate input document as it is, or scanner outputs extracted into one."""
    from ..extract.document import build_document, is_input_document, load_input_document
    from ..extract.jsonload import load_json
    from ..extract.registry import extract_path

    if len(paths) == 1 and paths[0].suffix == ".json":
        doc = load_json(paths[0])
        if is_input_document(doc):
            return load_input_document(doc, str(paths[0]), "give scanner output or a `regate extract` document")
    options = ExtractOptions(run_syft=False, progress=False)
    return build_document([extract_path(path, options) for path in paths])
