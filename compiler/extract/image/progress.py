"""A one-line, layer-by-layer progress report on stderr for long image reads."""

from __future__ import annotations

import sys
import time
from typing import TextIO

from .tarstream import Source

_EVERY_SECONDS = 0.2


class Progress:
    def __init__(self, enabled: bool, stream: TextIO | None = None):
        self.enabled = enabled
        self._stream = stream or sys.stderr
        self._shown = False

    def track(self, source: Source, label: str) -> Source:
        """`source`, reporting how much of it has been read under `label`."""
        if not self.enabled:
            return source
        return _Tracked(source, label, self)

    def show(self, label: str, done: int) -> None:
        self._stream.write(f"\rregate: reading {label}: {done / 1e6:,.1f} MB\x1b[K")
        self._stream.flush()
        self._shown = True

    def finish(self) -> None:
        if self._shown:
            self._stream.write("\n")
            self._stream.flush()
            self._shown = False


class _Tracked:
    def __init__(self, source: Source, label: str, progress: Progress):
        self._source = source
        self._label = label
        self._progress = progress
        self._done = 0
        self._last = 0.0

    def read(self, n: int) -> bytes:
        data = self._source.read(n)
        self._done += len(data)
        now = time.monotonic()
        if not data or now - self._last >= _EVERY_SECONDS:
            self._last = now
            self._progress.show(self._label, self._done)
        return data
