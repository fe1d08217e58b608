"""Pausing Python's cyclic garbage collector while a run makes millions of objects.

Used by :func:`~.api.compute` (the fold, and resuming a saved state) and by the ledger when it
loads a closed book: each makes an object or more per event or invoice and no reference
cycles, while every full collection meanwhile walks the whole heap.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def collector_paused() -> Iterator[None]:
    """Pause Python's cyclic garbage collector, and restore it as it was.

    The fold and the netting make an object or more per event and no reference cycles, so
    the collector finds nothing; but each full collection walks every tracked object,
    the caller's events included, and those walks cost a fifth of a run. Cycles made
    meanwhile (there are none in the engine) would only be collected later.
    """
    collecting = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        # Everything made meanwhile sits in the youngest generation, whose next collection
        # would walk it all (1.4 s after a million events); promote it to the oldest
        # generation instead, as if it had survived, where cycles are still collected.
        gc.freeze()
        gc.unfreeze()
        if collecting:
            gc.enable()
