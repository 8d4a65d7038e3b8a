"""Python's cyclic garbage collector, tuned for what regate holds: large trees of JSON.

An input document, a Syft or Grype report, a decision: tens of thousands of
dicts and lists that never form cycles, so a full collection frees nothing
from them, yet walks all of them, and runs again and again while they are
built (a third of a 10,000-package extraction). Young generations are still
collected as usual; full collections become rare.
"""

from __future__ import annotations

import gc
from contextlib import contextmanager
from typing import Iterator

# Young collections between two full ones (Python's default is 10).
FULL_COLLECTION_INTERVAL = 10_000


def tune_for_documents() -> None:
    young, middle, _ = gc.get_threshold()
    gc.set_threshold(young, middle, FULL_COLLECTION_INTERVAL)


def spare_exit() -> None:
    """Leave every object alive now out of the collection Python makes as it exits. That
    collection walks each of them, all of a run's documents and decisions (tens of
    milliseconds after a 10,000-package check, more than the rest of its work after OPA's
    output arrived), and they hold no cycles to find; they are freed as always."""
    gc.freeze()


@contextmanager
def paused() -> Iterator[None]:
    """No cyclic collection while a document is read or built. The young collections would walk
    each of its objects as it is made, and again as it ages, for nothing (a tenth of reading and
    merging a 10,000-package Syft + Grype pair). When the pause ends, what was made meanwhile goes
    to the oldest generation without a walk (gc.freeze then unfreeze: two list splices), which only
    the rare full collections walk. Collection resumes as it was, even when threads pause it at
    once; objects frozen on purpose (before a fork) are left frozen, and then nothing is moved."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if gc.get_freeze_count() == 0:
            gc.freeze()
            gc.unfreeze()
        if enabled:
            gc.enable()
