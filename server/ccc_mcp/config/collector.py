"""The garbage collector of a serving process: held during start-up, settled once start-up is over
(docs/architecture.md §4).

Start-up builds some 80,000 objects (imports, models, the server) and almost none of them is garbage, yet
CPython's collector walked them over and over while they were made: about 200 young, 18 middle and one full
collection, ≈ 30 ms of a stdio server's start before its first `tools/list`, to find some 20 unreachable
objects. `hold_collector` (called by `cli.main` before a server's start-up imports anything heavy) switches
automatic collection off; `settle_collector` (called by every serving process once its server is built, before
the first request) switches it back on.

Every request leaves a little cyclic garbage behind (the SDK's task groups, streams and exceptions), so the
collector runs all the time while serving; with CPython's defaults it cost about 0.23 ms of CPU per HTTP call,
an eighth of the server's, and each full collection walked the objects start-up built for some 40 ms — a
pause every call in flight waits out. Settling does two things, measured by the benchmarks:

- `gc.freeze()` moves what start-up built into the permanent generation, which no collection walks;
- a first-generation threshold of 5,000 instead of 700: a call allocates hundreds of container objects that
  reference counting frees moments later, and the low default started a collection inside nearly every
  call to find almost nothing. Cyclic garbage still goes within a few thousand allocations.
"""

from __future__ import annotations

import gc
import logging

__all__ = ["YOUNG_THRESHOLD", "hold_collector", "settle_collector"]

log = logging.getLogger(__name__)

YOUNG_THRESHOLD = 5_000  # allocations (net of frees) between collections of the youngest generation


def hold_collector() -> None:
    """No automatic collection until `settle_collector`: start-up makes objects that live as long as the
    process, and walking them while they are made found nothing worth the time. Every path that serves
    settles (stdio, one HTTP process, each worker, the workers' supervisor), so this is over before the first
    request; a start that fails exits."""
    gc.disable()


def settle_collector() -> None:
    """Freeze what start-up built, make young collections rarer, and switch automatic collection on (it may
    have been held). Called by each serving process (stdio, HTTP, every worker, the supervisor) once its
    server is built, before the first request. No collection first: one took 25 ms of the start (before the
    first `tools/list`) to find some 20 unreachable objects, which now stay."""
    gc.freeze()
    _, middle, old = gc.get_threshold()
    gc.set_threshold(YOUNG_THRESHOLD, middle, old)
    gc.enable()
    if log.isEnabledFor(logging.DEBUG):  # counting the frozen objects walks them all: ≈ 3 ms of a start
        log.debug(
            "Garbage collector: %d start-up objects frozen; young threshold %d",
            gc.get_freeze_count(),
            YOUNG_THRESHOLD,
        )
