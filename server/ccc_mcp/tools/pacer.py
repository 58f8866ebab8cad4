"""The pace of fanned-out CCC requests: at most `CCC_MCP_FANOUT_RATE` a second for the whole process, and one
shared pause after CCC says "too fast" (docs/architecture.md §4, "The whole floor in one call").

CCC publishes no rate limit for the reads a fan-out sends, so a throttling answer is the only signal. It
slows every request of every fan-out in the process down together: the pacer pauses them all (for CCC's
`x-acs-retry-after` when it names a wait, else for an exponential pause) and widens the spacing between
requests (the rate halved each time, down to 1/16th), then narrows it back a little with each success —
additive increase, multiplicative decrease, as TCP does. Nothing here sleeps: `reserve` hands out the moment
a request may go, and the fan-out waits for it (or stops, when that moment is past its deadline).
"""

from __future__ import annotations

from collections.abc import Callable

__all__ = ["PAUSE_BASE", "PAUSE_CAP", "SLOWDOWN_CAP", "Pacer"]

PAUSE_BASE = 0.5  # seconds of the first shared pause after a throttling answer that names no wait
PAUSE_CAP = 4.0  # the longest pause of our own choosing
SLOWDOWN_CAP = 16.0  # the most the rate is divided by after repeated throttling
RECOVERY = 0.05  # how much of the slowdown one success takes back: twenty successes undo one halving


class Pacer:
    """Evenly spaced moments for requests, on one monotonic clock (the CCC client's)."""

    def __init__(self, rate: float, clock: Callable[[], float]) -> None:
        self.interval = 1.0 / rate
        self._clock = clock
        self._next = float("-inf")
        self._paused_until = float("-inf")
        self._slowdown = 1.0
        self._throttled_in_a_row = 0

    @property
    def slowdown(self) -> float:
        """How many times slower than the configured rate requests go now (1 when nothing was throttled)."""
        return self._slowdown

    def paused_for(self) -> float:
        """Seconds left of the pause after a throttling answer (0 when there is none)."""
        return max(0.0, self._paused_until - self._clock())

    def reserve(self, before: float = float("inf")) -> float | None:
        """The moment the next request may be sent, and that slot taken; None (nothing taken, so no one else
        waits for a slot never used) when that moment is not before `before`."""
        at = max(self._clock(), self._next, self._paused_until)
        if at >= before:
            return None
        self._next = at + self.interval * self._slowdown
        return at

    def throttled(self, retry_after: float | None) -> None:
        """CCC refused a request for its rate: pause everyone, then go slower."""
        self._throttled_in_a_row += 1
        pause = retry_after or min(PAUSE_BASE * 2 ** (self._throttled_in_a_row - 1), PAUSE_CAP)
        self._paused_until = max(self._paused_until, self._clock() + pause)
        self._slowdown = min(self._slowdown * 2, SLOWDOWN_CAP)

    def succeeded(self) -> None:
        """A request went through: the next throttling starts its pause afresh, and the rate recovers."""
        self._throttled_in_a_row = 0
        self._slowdown = max(1.0, self._slowdown - RECOVERY)
