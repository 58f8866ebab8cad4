"""The garbage collector of a serving process, set once start-up is over (docs/architecture.md §4).

Every request leaves a little cyclic garbage behind (the SDK's task groups, streams and exceptions), so the
collector runs all the time; with CPython's defaults it cost about 0.23 ms of CPU per HTTP call, an eighth
of the server's, and each full collection walked the ~100,000 objects start-up built (imports, schemas, the
server) for some 40 ms — a pause every call in flight waits out. Two changes, measured by the benchmarks:

- `gc.freeze()` moves what start-up built into the permanent generation, which no collection walks;
- a first-generation threshold of 5,000 instead of 700: a call allocates hundreds of container objects that
  reference counting frees moments later, and the low default started a collection inside nearly every
  call to find almost nothing. Cyclic garbage still goes within a few thousand allocations.
"""

from __future__ import annotations

import gc
import logging

__all__ = ["YOUNG_THRESHOLD", "settle_collector"]

log = logging.getLogger(__name__)

YOUNG_THRESHOLD = 5_000  # allocations (net of frees) between collections of the youngest generation


def settle_collector() -> None:
    """Freeze what start-up built and make young collections rarer. Called by each serving process (stdio,
    HTTP, every worker) once its server is built, before the first request. No collection first: one took
    25 ms of the start (before the first `tools/list`) to find some 20 unreachable objects, which now stay."""
    gc.freeze()
    _, middle, old = gc.get_threshold()
    gc.set_threshold(YOUNG_THRESHOLD, middle, old)
    log.debug(
        "Garbage collector: %d start-up objects frozen; young threshold %d", gc.get_freeze_count(), YOUNG_THRESHOLD
    )
