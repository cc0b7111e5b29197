"""Pausing Python's cyclic garbage collector around work that allocates 10^5-10^6 objects
none of which form reference cycles (parsed SBOMs and their model, vulnerability matches).

With the collector on, each full collection rescans the whole growing heap: measured here, 1.1
of the 2.5 s a 50,000-component SBOM check took, and a fifth of the time of matching 50,000
components. Reference counting still frees everything; the previous state is restored.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager

__all__ = ["paused_gc"]


@contextmanager
def paused_gc() -> Iterator[None]:
    """The collector off for the block, re-enabled after it only if it was enabled."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()
