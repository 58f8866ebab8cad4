"""The pace of fanned-out requests (`tools/pacer.py`), on an injected clock: evenly spaced moments, one shared
pause after CCC throttles, the rate halved and won back slowly."""

from __future__ import annotations

import pytest

from ccc_mcp.tools.pacer import PAUSE_BASE, PAUSE_CAP, SLOWDOWN_CAP, Pacer


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_requests_are_spaced_at_the_rate() -> None:
    clock = Clock()
    pacer = Pacer(10, clock)
    assert [pacer.reserve() for _ in range(4)] == pytest.approx([100.0, 100.1, 100.2, 100.3])


def test_a_quiet_moment_is_not_saved_up_for_a_burst() -> None:
    clock = Clock()
    pacer = Pacer(10, clock)
    pacer.reserve()
    clock.now = 105.0
    assert [pacer.reserve() for _ in range(2)] == pytest.approx([105.0, 105.1])


def test_throttling_pauses_everyone_and_halves_the_rate() -> None:
    clock = Clock()
    pacer = Pacer(10, clock)
    pacer.reserve()
    pacer.throttled(None)
    assert pacer.paused_for() == pytest.approx(PAUSE_BASE)
    assert [pacer.reserve() for _ in range(2)] == pytest.approx([100.0 + PAUSE_BASE, 100.0 + PAUSE_BASE + 0.2])


def test_ccc_s_retry_after_is_the_pause_and_pauses_of_our_own_double_up_to_a_cap() -> None:
    clock = Clock()
    pacer = Pacer(10, clock)
    pacer.throttled(3.0)
    assert pacer.paused_for() == pytest.approx(3.0)
    pauses = []
    for _ in range(6):
        pacer.throttled(None)
        pauses.append(pacer.paused_for())
    assert pauses[-1] == pytest.approx(PAUSE_CAP)
    assert pacer.slowdown == SLOWDOWN_CAP


def test_the_rate_is_won_back_slowly_and_a_success_restarts_the_pause() -> None:
    """Twenty successes undo one halving: going back to full speed at once would meet the limit again."""
    clock = Clock()
    pacer = Pacer(10, clock)
    pacer.throttled(None)
    pacer.throttled(None)
    assert pacer.slowdown == 4.0
    for _ in range(20):
        pacer.succeeded()
    assert pacer.slowdown == pytest.approx(3.0)
    clock.now += 10
    pacer.throttled(None)
    assert pacer.paused_for() == pytest.approx(PAUSE_BASE), "the pause starts afresh after a success"


def test_a_moment_past_the_callers_deadline_is_not_taken() -> None:
    """A fan-out whose deadline comes first takes no slot, so another one's next moment does not move."""
    clock = Clock()
    pacer = Pacer(10, clock)
    pacer.reserve()
    assert pacer.reserve(before=100.05) is None
    assert pacer.reserve() == pytest.approx(100.1)
