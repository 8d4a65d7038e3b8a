"""The input document of a test case: inline, from files, or both, at the case's time.

A case's files become the document `regate check` would evaluate for them:
the same subjects, the same extraction (Syft included where `check` runs it),
the same merge and validation. Inline input is completed the way
`regate.inputs` documents, then held to the same schema as any document the
gate is given, so a passing test is a passing gate.
"""

from __future__ import annotations

import copy
from pathlib import Path

from ..errors import InputError
from ..extract.base import ExtractOptions
from ..inputs import complete, merge
from .spec import Case


class Fixtures:
    """Builds case inputs, reading each file (or set of files) once."""

    def __init__(self, options: ExtractOptions | None = None):
        self._options = options or ExtractOptions(run_syft=True, progress=False)
        self._documents: dict[tuple[Path, ...], dict] = {}

    def input_for(self, case: Case) -> dict:
        from ..extract.conceal import conceal
        from ..extract.document import with_baseline
        from ..extract.validation import load_input_document

        if case.input_files:
            document = copy.deepcopy(self.document(case.input_files))
            if case.input:
                document = complete(merge(document, case.input))
        else:
            document = complete(case.input)
        if case.baseline_file is not None:
            with_baseline(document, self.document((case.baseline_file,)))
        document = load_input_document(document, _label(case), "the case's input does not fit the input schema")
        if case.input:
            conceal(document)  # as `regate check` masks a document it is given; files were masked when read
        if case.now:
            document["now"] = case.now  # as `regate check --now` sets it
        return document

    def document(self, paths: tuple[Path, ...]) -> dict:
        if paths not in self._documents:
            self._documents[paths] = self._read(paths)
        return self._documents[paths]

    def _read(self, paths: tuple[Path, ...]) -> dict:
        from ..subjects import collect_subjects

        subjects = collect_subjects(tuple(str(p) for p in paths), (), self._options)
        if len(subjects) != 1:
            raise InputError(" + ".join(map(str, paths)), f"describe {len(subjects)} images; a case is one image")
        return subjects[0].load(None)[0]


def _label(case: Case) -> str:
    return " + ".join(map(str, case.input_files)) or f"the input of case {case.name!r}"
