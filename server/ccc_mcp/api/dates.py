"""The current UTC second as CCC writes dates (`2026-12-01T08:00:00Z`): the `x-acs-date` of each request the
client signs, and the time stamp of each audit line. The text changes once a second, so it is formatted
once a second, not per use (formatting a datetime was the costliest line of signing). Apart from `signing`,
whose functions read no clock, and from the client, which a server's start does not import."""

from __future__ import annotations

import functools
import time
from datetime import UTC, datetime

from ccc_mcp.api.signing import format_date

__all__ = ["utc_now"]


def utc_now() -> str:
    """Now, to the second, in UTC, as `signing.format_date` writes it."""
    return _utc_second(int(time.time()))


@functools.lru_cache(maxsize=2)
def _utc_second(second: int) -> str:
    return format_date(datetime.fromtimestamp(second, UTC))
