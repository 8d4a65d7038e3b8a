"""An `opa eval` started on an input file's bytes before regate has read the document in it.

`regate check` of one prepared document waits for `opa eval` most of its run, and before
that parses, checks and conceals the document: a tenth of a second and more at 10,000
packages, all of it before OPA even started. When the bundle is known up front (a compile
cache hit, --bundle), OPA starts on the file's text at once and regate does that work while
OPA evaluates.

The early result is used only when OPA was given exactly what the CLI engine would send
(`outcome_for`): the document regate finally evaluates serialises to the same text as the
file's document did when it was parsed (nothing was concealed, named or added since), and
every number in the file is written as that serialisation writes it (OPA keeps a number's
text, so `1.50` and `1.5` could show differently in a message). Anything else, or an OPA
failure, discards the early run unread and the document is evaluated as usual: a secret in
the file never reaches a report this way, and errors are the usual ones.
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path
from typing import Any

from ..opa import Opa, Running, eval_args

# Where a number with a fraction or an exponent, or `-0`, may start: every number follows `:`, `[`
# or `,`. A hit may be in a string.
_UNUSUAL_NUMBER = r"[:\[,]\s*(?:-0|-?\d+[.eE])"
# A JSON string, escapes included (unrolled: several times faster than an alternation).
_STRING = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"')
# Outside strings, a run of these characters is one number.
_NUMBER = re.compile(r"-?\d[\d.eE+-]*")


class Ahead:
    """`opa eval` of `bundle` on `data`, the content of `path`, running while regate reads it."""

    def __init__(self, opa: Opa, bundle: Path, path: Path, data: bytes, timeout: float, run: Running | None = None):
        """`run`: this very evaluation, already started (`regate.early`); else it starts now."""
        self.bundle = bundle
        self.path = path
        self.timeout = timeout
        # Decoded once OPA runs (`read`): OPA reads the bytes, and decoding takes milliseconds.
        self.data: bytes | None = data
        # What the CLI engine would send for the document as parsed from `data`, before anything changed it,
        # when OPA's reading of `data` means the same (see `_numbers_as_serialised`); else None.
        self.parsed: bytes | None = None
        # A byte order mark too: OPA skips it.
        self._run = run if run is not None else opa.start(*eval_args(bundle), data=data, timeout=timeout)

    def read(self, path: Path) -> Any:
        """`load_json(path)`, from the bytes OPA was given when `path` is its file."""
        # Imported here, not before OPA starts (regate.early).
        import orjson

        from ..extract.jsonload import decode_text, load_json, parse_json

        if path != self.path or self.data is None:
            return load_json(path)
        data, self.data = self.data, None  # read once; not kept for the whole run
        text = decode_text(data, path)
        del data
        document = parse_json(text, str(path))
        try:
            parsed = orjson.dumps(document)
        except orjson.JSONEncodeError:  # integers past 64 bits: the engine serialises them otherwise
            return document
        self.parsed = parsed if _numbers_as_serialised(text) else None
        return document

    def outcome_for(self, data: bytes) -> subprocess.CompletedProcess | None:
        """OPA's successful outcome if it evaluated what `data` (the engine's serialised document)
        means, else None, the early run stopped and discarded."""
        if self.parsed is None or data != self.parsed:
            self.cancel()
            return None
        done = self._run.finish()
        return done if done.returncode == 0 else None  # else evaluated again the usual way, which reports it

    def cancel(self) -> None:
        """Stop OPA (and whatever it started) if it still runs, and drop what it wrote unread."""
        self._run.cancel()


def _numbers_as_serialised(text: str) -> bool:
    """Whether every number in the JSON `text` is written as orjson writes its value. Integers
    are, except `-0`; a fraction or exponent is when it reads back the same."""
    import orjson
    import re2  # scans the text several times faster than `re`; imported after OPA started

    if not re2.search(_UNUSUAL_NUMBER, text):
        return True
    # Without an escaped quote, every other piece between quotes is outside the strings.
    outside = _STRING.sub("", text) if '\\"' in text else "".join(text.split('"')[::2])
    for number in set(_NUMBER.findall(outside)):
        if (number.startswith("-0") or not number.lstrip("-").isdigit()) and \
                orjson.dumps(orjson.loads(number)).decode() != number:
            return False
    return True
