"""The per-client rate limiter: two moving windows (rate and burst) in memory or on a real Redis, shared by
every limiter on the same Redis, and degraded to per-process memory while Redis is down."""

from __future__ import annotations

import asyncio
import logging
import socket
import time
from collections.abc import Iterator

import pytest

from ccc_mcp.policy.ratelimit import RateLimiter, Verdict, redact
from tests.redis_server import REDIS_PASSWORD, RedisServer

KEY = "client-a"


class SteppedClock:
    """The limiter's monotonic clock for pacing Redis retries, moved by the test."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


async def hits(limiter: RateLimiter, count: int, key: str = KEY) -> list[Verdict]:
    return [await limiter.hit(key) for _ in range(count)]


def allowed(verdicts: list[Verdict]) -> int:
    return sum(verdict.allowed for verdict in verdicts)


async def refusal_and_its_bounds(limiter: RateLimiter, calls: int) -> tuple[Verdict, float, float]:
    """`calls` allowed hits then one refused; the wait must lie between the bounds whatever the run's speed:
    the first entry is dated within [a, b], the refusal reckoned within [c, d], so its wait is within
    [a + 60 - d, b + 60 - c]. A made-up figure (the window's length, say) falls outside."""
    a = time.time()
    assert (await limiter.hit(KEY)).allowed
    b = time.time()
    assert allowed(await hits(limiter, calls - 1)) == calls - 1
    c = time.time()
    refused = await limiter.hit(KEY)
    d = time.time()
    assert not refused.allowed
    return refused, a + 60 - d, b + 60 - c


async def test_the_minute_window_allows_the_rate_then_refuses_with_the_real_wait() -> None:
    limiter = RateLimiter(5, 5)  # burst == rate: one window, 5 calls in any 60 s
    refused, low, high = await refusal_and_its_bounds(limiter, 5)
    assert low <= refused.wait <= high, "a place frees when the first call leaves the 60 s window"


async def test_the_burst_window_refuses_before_the_minute_is_spent() -> None:
    limiter = RateLimiter(60, 3)  # at most 3 calls in any ceil(60 x 3 / 60) = 3 seconds, 60 in any minute
    verdicts = await hits(limiter, 4)
    assert [v.allowed for v in verdicts] == [True, True, True, False]
    assert 0 < verdicts[-1].wait <= 3


async def test_the_burst_window_is_the_time_the_rate_takes_to_earn_the_burst_rounded_up() -> None:
    """Rate 7 a minute, burst 2: 60 x 2 / 7 = 17.1 s, so the burst window is 18 s (17 s would let a client
    above its rate). The refusal after the burst waits for the first call to leave that window."""
    limiter = RateLimiter(7, 2)
    a = time.time()
    assert (await limiter.hit(KEY)).allowed
    assert (await limiter.hit(KEY)).allowed
    refused = await limiter.hit(KEY)
    d = time.time()
    assert not refused.allowed
    assert a + 18 - d - 0.05 <= refused.wait <= 18, refused.wait


async def test_a_refused_call_takes_no_place() -> None:
    limiter = RateLimiter(3, 3)
    await hits(limiter, 3)
    first_refusal, *later = await hits(limiter, 5)
    assert not first_refusal.allowed
    assert not any(v.allowed for v in later)
    # Refusals added no entry: the wait still counts down to the first allowed call's expiry, never further.
    assert all(v.wait <= first_refusal.wait for v in later)


async def test_clients_are_limited_apart() -> None:
    limiter = RateLimiter(2, 2)
    assert allowed(await hits(limiter, 3, "a")) == 2
    assert allowed(await hits(limiter, 3, "b")) == 2


async def test_two_limiters_on_one_redis_share_the_limit(redis_server: RedisServer) -> None:
    """Two replicas' limiters on one Redis: 3 x 4 calls alternating between them, 4 allowed in all."""
    replicas = [RateLimiter(4, 4, redis_server.url), RateLimiter(4, 4, redis_server.url)]
    verdicts = [await replicas[i % 2].hit(KEY) for i in range(12)]
    assert allowed(verdicts) == 4
    assert not any(replica.degraded for replica in replicas)
    refused = verdicts[-1]
    assert 0 < refused.wait <= 60


async def test_two_limiters_in_memory_each_limit_alone() -> None:
    replicas = [RateLimiter(4, 4), RateLimiter(4, 4)]
    verdicts = [await replicas[i % 2].hit(KEY) for i in range(12)]
    assert allowed(verdicts) == 8


async def test_on_redis_the_refusal_carries_the_real_wait(redis_server: RedisServer) -> None:
    limiter = RateLimiter(2, 2, redis_server.url)
    refused, low, high = await refusal_and_its_bounds(limiter, 2)
    assert low <= refused.wait <= high


@pytest.fixture
def warnings_of_the_limiter(caplog: pytest.LogCaptureFixture) -> Iterator[pytest.LogCaptureFixture]:
    with caplog.at_level(logging.WARNING, logger="ccc_mcp.policy.ratelimit"):
        yield caplog


async def test_redis_down_degrades_to_memory_then_comes_back(
    redis_with_password: RedisServer, warnings_of_the_limiter: pytest.LogCaptureFixture
) -> None:
    redis = redis_with_password
    clock, errors = SteppedClock(), list[int]()
    limiter = RateLimiter(3, 3, redis.url, on_error=lambda exc: errors.append(1), clock=clock, retry_seconds=5)
    assert allowed(await hits(limiter, 4)) == 3, "on Redis: the rate, then a refusal"

    redis.stop()
    during = await hits(limiter, 4)
    assert allowed(during) == 3, "degraded: the same limit, counted afresh in this process"
    assert not during[-1].allowed
    assert during[-1].wait > 0, "a refusal in memory has its real wait too"
    assert limiter.degraded
    assert errors == [1], "one Redis failure; no Redis attempt on every call while degraded"

    clock.now += 5  # the retry is due, but Redis is still down: one more failure, no second warning
    await limiter.hit("client-b")
    assert errors == [1, 1]
    assert limiter.degraded

    redis.start()  # back, empty (nothing is saved)
    await limiter.hit("client-b")
    assert limiter.degraded, "not tried again before the retry interval has passed"
    clock.now += 5
    assert (await limiter.hit(KEY)).allowed, "back on Redis, whose count restarted"
    assert not limiter.degraded
    assert errors == [1, 1]
    lines = [record.getMessage() for record in warnings_of_the_limiter.records]
    assert len(lines) == 2, "one warning going down, one line coming back"
    assert "failed (ConnectionError); limiting each process alone in memory" in lines[0]
    assert "redis://:***@127.0.0.1" in lines[0]
    assert "answers again" in lines[1]
    assert not any(REDIS_PASSWORD in line for line in lines)


async def test_a_silent_redis_still_gets_an_answer_in_bounded_time() -> None:
    """A port that accepts connections and never answers (a hung Redis): the limiter's own timeouts end the
    wait and the call is limited in memory. The outer wait_for only keeps a broken build from hanging the run."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(16)
    try:
        errors: list[int] = []
        url = f"redis://127.0.0.1:{listener.getsockname()[1]}/0"
        limiter = RateLimiter(3, 3, url, on_error=lambda exc: errors.append(1))
        verdict = await asyncio.wait_for(limiter.hit(KEY), timeout=30)
        assert verdict.allowed
        assert limiter.degraded
        assert errors == [1]
    finally:
        listener.close()


def test_an_unsupported_storage_is_refused() -> None:
    with pytest.raises(ValueError, match="'mongodb'"):
        RateLimiter(3, 3, "mongodb://:secret@host/db")


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("redis://:pw@h:6379/0", "redis://:***@h:6379/0"),
        ("rediss://user:pw@h:6380/1", "rediss://user:***@h:6380/1"),
        ("redis+sentinel://:p@ss@h1:26379,h2:26379/main", "redis+sentinel://:***@h1:26379,h2:26379/main"),
        ("redis://h:6379/0", "redis://h:6379/0"),
        ("memory://", "memory://"),
    ],
)
def test_redact_hides_only_the_password(url: str, shown: str) -> None:
    assert redact(url) == shown
