"""HTTP/1.1 spoken by hand over a loopback socket, for what a well-behaved client library will not send: a
request left unfinished, a body shorter than declared, a connection that says nothing."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from urllib.parse import urlsplit

import pytest

# Fails a hang instead of waiting forever. Not a measurement: where it is used the server answers, or closes,
# within the read deadline the test sets (a fraction of a second) when it is right, and never when it is wrong.
HANG_SAFETY_NET = 20.0


@asynccontextmanager
async def connection(base: str) -> AsyncIterator[tuple[asyncio.StreamReader, asyncio.StreamWriter]]:
    """A connection to `base` (`http://host:port`)."""
    parts = urlsplit(base)
    reader, writer = await asyncio.open_connection(parts.hostname, parts.port)
    try:
        yield reader, writer
    finally:
        writer.close()


async def until_closed(reader: asyncio.StreamReader) -> bytes:
    """Everything the server sends until it closes the connection (a hang fails the test)."""
    try:
        return await asyncio.wait_for(reader.read(), HANG_SAFETY_NET)
    except TimeoutError:
        pytest.fail(f"the server neither answered nor closed the connection in {HANG_SAFETY_NET:g} s")


async def status_line(base: str, data: bytes) -> bytes:
    """Send `data` (however unfinished) and read the status line of the answer it gets."""
    async with connection(base) as (reader, writer):
        writer.write(data)
        await writer.drain()
        try:
            return await asyncio.wait_for(reader.readline(), HANG_SAFETY_NET)
        except TimeoutError:
            pytest.fail(f"no answer in {HANG_SAFETY_NET:g} s")
