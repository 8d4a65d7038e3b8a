"""Progress of long steps (reading layers, Syft on an image, many images) on a terminal.

One rich display per process, shared by whatever step is running, so nested steps
(an image read inside a run over many images) show as lines of one display instead
of fighting over the terminal. Nothing is drawn unless the caller enables it, and
`on_terminal()` says no when stderr is not a TTY, in CI, or on a dumb terminal, so
logs stay clean. The display is transient: it disappears when the steps end.
"""

from __future__ import annotations

import os
import sys
import time
from contextlib import contextmanager
from typing import Iterator, Protocol, TextIO

_EVERY_SECONDS = 0.2


def on_terminal(stream: TextIO | None = None) -> bool:
    """Whether progress belongs on `stream` (stderr): a TTY, not CI, not TERM=dumb. Python has
    no stderr (None) when regate was started with that descriptor closed."""
    stream = stream or sys.stderr
    return stream is not None and stream.isatty() and not os.environ.get("CI") and os.environ.get("TERM") != "dumb"


class Step(Protocol):
    def advance(self, amount: int = 1) -> None: ...


class _Silent:
    def advance(self, amount: int = 1) -> None:
        pass


class _Shown:
    def __init__(self, display, task_id):
        self._display = display
        self._task = task_id

    def advance(self, amount: int = 1) -> None:
        self._display.advance(self._task, amount)


class _Display:
    """The process's rich Progress, started with its first step and stopped with its last."""

    def __init__(self):
        self._progress = None
        self._steps = 0

    @contextmanager
    def step(self, label: str, total: int | None, unit: str, stream: TextIO | None) -> Iterator[Step]:
        if self._progress is None:
            self._progress = _make(unit, stream or sys.stderr)
            self._progress.start()
        self._steps += 1
        task = self._progress.add_task(label, total=total)
        try:
            yield _Shown(self._progress, task)
        finally:
            self._progress.remove_task(task)
            self._steps -= 1
            if self._steps == 0:
                self._progress.stop()
                self._progress = None


def _make(unit: str, stream: TextIO):
    from rich.console import Console
    from rich.progress import (BarColumn, DownloadColumn, MofNCompleteColumn, Progress, SpinnerColumn,
                               TextColumn, TimeElapsedColumn)

    amount = DownloadColumn() if unit == "bytes" else MofNCompleteColumn()
    console = Console(file=stream, force_terminal=True, stderr=stream is sys.stderr)
    return Progress(SpinnerColumn(), TextColumn("regate: {task.description}"), BarColumn(), amount,
                    TimeElapsedColumn(), console=console, transient=True, refresh_per_second=5)


_DISPLAY = _Display()


@contextmanager
def step(label: str, enabled: bool, total: int | None = None, unit: str = "count",
         stream: TextIO | None = None) -> Iterator[Step]:
    """A step named `label` (of `total` units when known; `unit` "bytes" or "count"),
    shown while the block runs when `enabled`."""
    if not enabled:
        yield _Silent()
        return
    with _DISPLAY.step(label, total, unit, stream) as shown:
        yield shown


class Tracked:
    """A readable source that reports how much of it has been read to `shown`."""

    def __init__(self, source, shown: Step):
        self._source = source
        self._shown = shown
        self._pending = 0
        self._last = 0.0

    def read(self, n: int) -> bytes:
        data = self._source.read(n)
        self._pending += len(data)
        now = time.monotonic()
        if not data or now - self._last >= _EVERY_SECONDS:
            self._last = now
            self._shown.advance(self._pending)
            self._pending = 0
        return data
