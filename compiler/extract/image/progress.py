"""Layer-by-layer progress of an image read: one step per layer, on the shared display."""

from __future__ import annotations

from contextlib import ExitStack

from ... import progress
from .tarstream import Source


class Progress:
    def __init__(self, enabled: bool):
        self.enabled = enabled
        self._current = ExitStack()

    def track(self, source: Source, label: str, size: int | None = None) -> Source:
        """`source`, reporting how much of it has been read under `label` (the previous
        layer's step ends here: layers are read one after another)."""
        if not self.enabled:
            return source
        self.finish()
        shown = self._current.enter_context(progress.step(f"reading {label}", True, size, "bytes"))
        return progress.Tracked(source, shown)

    def finish(self) -> None:
        self._current.close()
        self._current = ExitStack()
