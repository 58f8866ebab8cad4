"""Read deadlines on uvicorn's h11 protocol (net/deadlines.py), with a trivial application on loopback: a
request's headers and its body each get the deadline, the answer does not, and a connection kept alive between
requests is left to uvicorn's own timer. tests/security/test_requests.py replays the attacks on the server."""

from __future__ import annotations

import asyncio
import pickle
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from starlette.types import Receive, Scope, Send

from ccc_mcp.net.asgi import bind_socket, hosted
from ccc_mcp.net.deadlines import DeadlineH11Protocol, timed_http
from tests.raw_http import HANG_SAFETY_NET, until_closed

DEADLINE = 0.3
ANSWER = b"HTTP/1.1 200 OK"


async def app(scope: Scope, receive: Receive, send: Send) -> None:
    """Reads the whole body; `/slow` then takes twice the deadline to answer."""
    if scope["type"] != "http":
        return
    while (await receive()).get("more_body", False):
        pass
    if scope["path"] == "/slow":
        await asyncio.sleep(2 * DEADLINE)
    await send({"type": "http.response.start", "status": 200, "headers": [(b"content-length", b"2")]})
    await send({"type": "http.response.body", "body": b"ok"})


@asynccontextmanager
async def served() -> AsyncIterator[tuple[asyncio.StreamReader, asyncio.StreamWriter]]:
    async with hosted(app, bind_socket("127.0.0.1", 0), http=timed_http(DEADLINE)) as (host, port):
        reader, writer = await asyncio.open_connection(host, port)
        try:
            yield reader, writer
        finally:
            writer.close()


def request(path: str = "/", body: bytes = b"") -> bytes:
    return f"POST {path} HTTP/1.1\r\nHost: x\r\nContent-Length: {len(body)}\r\n\r\n".encode() + body


async def test_headers_that_never_end_close_the_connection() -> None:
    async with served() as (reader, writer):
        writer.write(b"POST / HTTP/1.1\r\nHost: x\r\n")
        assert await until_closed(reader) == b""


async def test_a_body_that_never_ends_closes_the_connection() -> None:
    async with served() as (reader, writer):
        writer.write(request(body=b"0123456789")[:-5])
        assert await until_closed(reader) == b""


async def test_a_slow_answer_is_not_cut_off() -> None:
    async with served() as (reader, writer):
        writer.write(request("/slow", b"{}"))
        assert (await asyncio.wait_for(reader.readline(), HANG_SAFETY_NET)).startswith(ANSWER)


async def test_the_next_request_on_a_kept_alive_connection_gets_its_own_deadline() -> None:
    """The first request is answered; the second one's headers never end: closed, after the second's deadline."""
    async with served() as (reader, writer):
        writer.write(request(body=b"{}"))
        assert (await reader.readline()).startswith(ANSWER)
        await reader.readuntil(b"ok")
        writer.write(b"POST / HTTP/1.1\r\n")
        assert await until_closed(reader) == b""


async def test_pipelined_requests_are_each_answered() -> None:
    async with served() as (reader, writer):
        writer.write(request(body=b"{}") + request(body=b"[]"))
        first = await reader.readuntil(b"ok")
        second = await reader.readuntil(b"ok")
    assert first.startswith(ANSWER)
    assert second.startswith(ANSWER)


def test_the_protocol_goes_to_worker_processes() -> None:
    """`--workers` hands each worker the config pickled: the bound deadline must survive it."""
    protocol = pickle.loads(pickle.dumps(timed_http(7.5)))  # noqa: S301 - our own bytes, just made
    assert protocol.func is DeadlineH11Protocol
    assert protocol.keywords == {"read_timeout": 7.5}
