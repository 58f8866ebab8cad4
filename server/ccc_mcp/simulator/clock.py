"""The simulator's clock: what "now" is in its answers (channel timestamps, heartbeats, state durations).

A clock is any callable returning epoch milliseconds. By default the simulator answers in wall time, so a
client sees live values: a channel's `Timestamp` moves when the channel changes, heartbeats advance, and
`Duration` grows. Tests and snapshots that need byte-for-byte answers inject a `FixedClock` instead, which
only moves when told to.

The clock drives answers only. The gateway's 15-minute date window keeps using wall time, because clients
sign with the real date whatever the simulator pretends.

Standard library only: the CLI imports this module while building its parser.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

__all__ = ["Clock", "FixedClock", "last_heartbeat", "wall_clock"]

Clock = Callable[[], int]
"""A source of "now" in epoch milliseconds."""

HEARTBEAT_PERIOD_MS = 5_000


def wall_clock() -> int:
    """Now, in epoch milliseconds."""
    return time.time_ns() // 1_000_000


class FixedClock:
    """A clock that stands still until `advance` or `set` moves it: identical answers, run after run.

    Thread-safe, because a simulator in a thread reads it while a test moves it.
    """

    def __init__(self, epoch_ms: int) -> None:
        self._now = int(epoch_ms)
        self._lock = threading.Lock()

    def __call__(self) -> int:
        with self._lock:
            return self._now

    def advance(self, ms: int) -> int:
        """Move forward by `ms` milliseconds; returns the new now."""
        with self._lock:
            self._now += int(ms)
            return self._now

    def set(self, epoch_ms: int) -> None:
        with self._lock:
            self._now = int(epoch_ms)

    def __repr__(self) -> str:
        return f"FixedClock({self()})"


def last_heartbeat(now_ms: int, period_ms: int = HEARTBEAT_PERIOD_MS) -> int:
    """The most recent heartbeat tick at or before `now_ms` (agent clients beat every `period_ms`)."""
    return now_ms - now_ms % period_ms
