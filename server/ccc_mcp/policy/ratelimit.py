"""Per-client rate limits on the `limits` library: moving windows kept in memory or shared through Redis.

Used on the HTTP transport so one client cannot flood CCC (and exhaust the account's own API quota) on
behalf of everyone else. With `memory://` each process limits alone; with `redis://` every replica and
worker shares one count per client, so N replicas still allow the limit once (docs/architecture.md §4).

Two moving windows per client (the rate and the burst, docs/configuration.md): at most `per_minute` calls in
any 60 seconds, and at most `burst` calls in any ceil(60 × burst / per_minute) seconds — the time the
steady rate takes to earn a burst. A refused call consumes no place in either window.

When Redis fails (refused, reset, or silent for `REDIS_TIMEOUT`), the limiter degrades: it limits per process
in memory with the same windows, logs one warning, and tries Redis again at most every `REDIS_RETRY_SECONDS`
until it answers. A call never waits on a dead Redis for more than one `REDIS_DEADLINE`.
"""

from __future__ import annotations

import asyncio
import logging
import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from ccc_mcp.config.serving import STORAGE_SCHEMES, storage_scheme

if TYPE_CHECKING:
    from limits import RateLimitItem
    from limits.aio.strategies import MovingWindowRateLimiter

__all__ = [
    "REDIS_DEADLINE",
    "REDIS_RETRY_SECONDS",
    "REDIS_TIMEOUT",
    "RateLimiter",
    "Verdict",
    "redact",
]

log = logging.getLogger(__name__)

REDIS_TIMEOUT = 0.5  # seconds to connect to Redis, and to wait for each of its answers
REDIS_DEADLINE = 1.0  # seconds one call's whole decision (up to three Redis commands) may take
REDIS_RETRY_SECONDS = 5.0  # while degraded, seconds between attempts to go back to Redis
KEY_PREFIX = "ccc-mcp"  # every Redis key the limiter writes starts with it

def redact(url: str) -> str:
    """The URL as it may be shown: any password replaced by ***."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    user = parts.username or ""
    host = parts.netloc.rsplit("@", 1)[1]
    return parts._replace(netloc=f"{user}:***@{host}").geturl()


@dataclass(frozen=True, slots=True)
class Verdict:
    """Whether a call may go ahead; if not, `wait` is the seconds until a place frees in its fullest window."""

    allowed: bool
    wait: float = 0.0


def windows(per_minute: int, burst: int) -> list[RateLimitItem]:
    """The burst window, then the minute window (one window when they are the same)."""
    from limits import RateLimitItemPerSecond

    minute = RateLimitItemPerSecond(per_minute, 60)
    short = RateLimitItemPerSecond(burst, math.ceil(60 * burst / per_minute))
    return [minute] if short == minute else [short, minute]


class _Windows:
    """The windows of every client on one storage."""

    def __init__(self, strategy: MovingWindowRateLimiter, items: Sequence[RateLimitItem]) -> None:
        self._strategy = strategy
        self._items = items

    async def decide(self, key: str) -> Verdict:
        """Check the windows taken after the first (reads), then take a place in each in turn: a refused call
        takes none, and only a race lost to another replica between the check and the take costs a place."""
        for item in self._items[1:]:
            if not await self._strategy.test(item, key):
                return await self._refusal(key)
        for item in self._items:
            if not await self._strategy.hit(item, key):
                return await self._refusal(key)
        return Verdict(allowed=True)

    async def _refusal(self, key: str) -> Verdict:
        """The wait the library's window stats give: when the oldest call of the fullest window leaves it."""
        now = time.time()  # the library dates its entries by the wall clock
        waits = [0.0]
        for item in self._items:
            stats = await self._strategy.get_window_stats(item, key)
            if stats.remaining <= 0:
                waits.append(stats.reset_time - now)
        return Verdict(allowed=False, wait=max(waits))


def _strategy(storage_url: str) -> MovingWindowRateLimiter:
    from limits.aio.strategies import MovingWindowRateLimiter
    from limits.storage import storage_from_string

    if storage_scheme(storage_url) == "memory":
        return MovingWindowRateLimiter(storage_from_string("async+memory://"))
    storage = storage_from_string(
        f"async+{storage_url}",
        wrap_exceptions=True,
        key_prefix=KEY_PREFIX,
        connect_timeout=REDIS_TIMEOUT,
        stream_timeout=REDIS_TIMEOUT,
    )
    return MovingWindowRateLimiter(storage)


class RateLimiter:
    """`await hit(key)` counts one call of client `key` and says whether it may go ahead.

    `on_error` is called with the error once per failed Redis attempt (the limiter-errors metric); `clock`
    (monotonic seconds) paces the attempts to go back to Redis while degraded, so tests can step it instead
    of sleeping."""

    def __init__(
        self,
        per_minute: int,
        burst: int,
        storage: str = "memory://",
        *,
        on_error: Callable[[BaseException], None] | None = None,
        clock: Callable[[], float] = time.monotonic,
        retry_seconds: float = REDIS_RETRY_SECONDS,
    ) -> None:
        if storage_scheme(storage) not in STORAGE_SCHEMES:
            raise ValueError(f"unsupported rate-limit storage scheme {storage_scheme(storage)!r}")
        from limits.errors import StorageError

        self.per_minute = per_minute
        self.burst = burst
        self.storage = redact(storage)
        items = windows(per_minute, burst)
        self._local = _Windows(_strategy("memory://"), items)
        self._shared = None if storage_scheme(storage) == "memory" else _Windows(_strategy(storage), items)
        self._failures: tuple[type[BaseException], ...] = (StorageError, OSError, TimeoutError)
        self._on_error = on_error
        self._clock = clock
        self._retry_seconds = retry_seconds
        self._retry_at: float | None = None  # set while degraded: when to try Redis again

    @property
    def degraded(self) -> bool:
        """Whether Redis failed and the limiter counts per process until it answers again."""
        return self._retry_at is not None

    async def hit(self, key: str) -> Verdict:
        if self._shared is None or (self._retry_at is not None and self._clock() < self._retry_at):
            return await self._local.decide(key)
        try:
            async with asyncio.timeout(REDIS_DEADLINE):
                verdict = await self._shared.decide(key)
        except self._failures as exc:
            self._failed(exc)
            return await self._local.decide(key)
        if self._retry_at is not None:
            self._retry_at = None
            log.warning("Rate limits: Redis at %s answers again; limits are shared again", self.storage)
        return verdict

    def _failed(self, exc: BaseException) -> None:
        error = exc.__cause__ or exc  # the storage's own error, under the library's wrapper
        if self._retry_at is None:
            log.warning(
                "Rate limits: Redis at %s failed (%s); limiting each process alone in memory, with the same "
                "limits, until it answers (trying again every %g s)",
                self.storage, type(error).__name__, self._retry_seconds,
            )  # fmt: skip
        self._retry_at = self._clock() + self._retry_seconds
        if self._on_error is not None:
            self._on_error(error)
