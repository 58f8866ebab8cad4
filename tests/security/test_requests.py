"""Requests shaped to hurt the server rather than to trick it: bodies too large (declared or sent), too deeply
nested, batched; requests sent too slowly, or left unfinished to hold a connection; a client that asks for an
event stream. Each is answered or cut off, nothing reaches CCC, and the server serves the next request."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Callable
from typing import Any

import httpx
import pytest

from tests.fakes import FakeCcc
from tests.raw_http import connection, status_line, until_closed
from tests.transports.conftest import ERAS, HANDSHAKE_ERA, headers, structured, tool_call
from tests.transports.test_oauth import ISSUER, AuthorizationServer


def head(path: str = "/mcp", length: int | None = None, **extra: str) -> bytes:
    lines = [f"POST {path} HTTP/1.1", "Host: 127.0.0.1", "Content-Type: application/json",
             "Accept: application/json, text/event-stream", *(f"{k}: {v}" for k, v in extra.items())]  # fmt: skip
    if length is not None:
        lines.append(f"Content-Length: {length}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


async def test_a_declared_body_over_the_limit_is_refused_without_waiting_for_it(
    http_server: Callable[..., Any], fake_ccc: FakeCcc
) -> None:
    """`Content-Length: 10000000000` and ten bytes: 413 at once (it once waited for the ten gigabytes)."""
    async with http_server() as running:
        status = await status_line(running.base, head(length=10_000_000_000) + b'{"a": 1}  ')
    assert status.startswith(b"HTTP/1.1 413")
    assert fake_ccc.seen == []


@pytest.mark.parametrize("era", ERAS)
async def test_a_sent_body_over_the_limit_is_refused(
    http_server: Callable[..., Any], fake_ccc: FakeCcc, era: str
) -> None:
    """Sent in chunks, with no length declared: the limit still holds."""
    body = json.dumps(tool_call(1, era, arguments={"instance_id": "ccc-test", "user_id": "x" * 70_000})).encode()

    async def chunks() -> AsyncIterator[bytes]:
        for start in range(0, len(body), 8192):
            yield body[start : start + 8192]

    async with http_server(max_body_bytes=65536) as running, httpx.AsyncClient() as http:
        response = await http.post(running.mcp_url, content=chunks(), headers=headers(era))
        after = await http.post(running.mcp_url, json=tool_call(2, era), headers=headers(era))
    assert response.status_code == 413
    assert structured(after)["ok"] is True
    assert len(fake_ccc.seen) == 1


@pytest.mark.parametrize("era", ERAS)
@pytest.mark.parametrize("shape", ["array", "object", "in the arguments"])
async def test_deep_nesting_is_refused_and_the_server_serves_on(
    http_server: Callable[..., Any], fake_ccc: FakeCcc, era: str, shape: str
) -> None:
    depth = 10_000  # far beyond any JSON reader's recursion, and within the 64 KiB body limit
    bodies = {
        "array": b"[" * depth + b"]" * depth,
        "object": b'{"a":' * depth + b"1" + b"}" * depth,
        "in the arguments": json.dumps(tool_call(1, era, arguments={"instance_id": "ccc-test"}))
        .replace('"instance_id"', '"x": ' + "[" * depth + "]" * depth + ', "instance_id"')
        .encode(),
    }
    async with http_server() as running, httpx.AsyncClient() as http:
        response = await http.post(running.mcp_url, content=bodies[shape], headers=headers(era))
        after = await http.post(running.mcp_url, json=tool_call(2, era), headers=headers(era))
    assert response.status_code not in (413, 500), response.text
    assert "error" in response.json() or response.json()["result"]["isError"] is True
    assert structured(after)["ok"] is True
    assert len(fake_ccc.seen) == 1, "only the well-formed call reached CCC"


@pytest.mark.parametrize("era", ERAS)
async def test_a_batch_is_refused_whole(http_server: Callable[..., Any], fake_ccc: FakeCcc, era: str) -> None:
    """JSON-RPC batches are not part of MCP since 2025-06-18: none of the calls in one runs."""
    batch = [tool_call(n, era) for n in range(5)]
    async with http_server() as running, httpx.AsyncClient() as http:
        response = await http.post(running.mcp_url, json=batch, headers=headers(era))
    assert response.status_code == 400
    assert fake_ccc.seen == []


async def test_a_request_whose_headers_never_end_is_cut_off(http_server: Callable[..., Any]) -> None:
    async with http_server(request_read_timeout=0.3) as running, connection(running.base) as (reader, writer):
        writer.write(b"POST /mcp HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ")
        await writer.drain()
        assert await until_closed(reader) == b"", "closed without an answer"


async def test_a_connection_that_sends_nothing_is_cut_off(http_server: Callable[..., Any]) -> None:
    async with http_server(request_read_timeout=0.3) as running, connection(running.base) as (reader, _):
        assert await until_closed(reader) == b""


async def test_a_body_that_never_ends_is_cut_off(http_server: Callable[..., Any], fake_ccc: FakeCcc) -> None:
    async with http_server(request_read_timeout=0.3) as running, connection(running.base) as (reader, writer):
        writer.write(head(length=1000, **{"MCP-Protocol-Version": HANDSHAKE_ERA}) + b'{"jsonrpc": "2.0", ')
        await writer.drain()
        assert await until_closed(reader) == b""
    assert fake_ccc.seen == []


async def test_a_prompt_client_is_not_cut_off_by_the_deadline(http_server: Callable[..., Any]) -> None:
    """The deadline is for reading a request, not for answering it, nor for a connection kept alive between
    requests (uvicorn's own keep-alive timer closes that)."""
    async with http_server(request_read_timeout=0.5) as running, httpx.AsyncClient() as http:
        first = await http.post(running.mcp_url, json=tool_call(1), headers=headers(HANDSHAKE_ERA))
        second = await http.post(running.mcp_url, json=tool_call(2), headers=headers(HANDSHAKE_ERA))
    assert structured(first)["ok"] is True
    assert structured(second)["ok"] is True


async def test_without_a_token_the_body_is_never_waited_for(
    http_server: Callable[..., Any], authorization_server: AuthorizationServer, fake_ccc: FakeCcc
) -> None:
    """With OAuth, an unauthenticated client once held the server reading its body (it was read before the
    token was looked at); the 401 now comes before any of the body is needed."""
    oauth = {"jwks_url": authorization_server.url, "jwt_issuer": ISSUER, "resource_url": "https://mcp.example.test/mcp"}
    async with http_server(**oauth) as running:
        status = await status_line(running.base, head(length=60_000) + b"{")
    assert status.startswith(b"HTTP/1.1 401")
    assert fake_ccc.seen == []


@pytest.mark.parametrize("era", ERAS)
async def test_an_answer_is_json_never_a_stream_held_open(http_server: Callable[..., Any], era: str) -> None:
    """The server answers JSON: a client that accepts only an event stream is refused rather than handed a
    stream to hold, and one that accepts both gets JSON."""
    async with http_server() as running, httpx.AsyncClient() as http:
        only_stream = await http.post(running.mcp_url, json=tool_call(1, era),
                                      headers={**headers(era), "accept": "text/event-stream"})
        both = await http.post(running.mcp_url, json=tool_call(2, era), headers=headers(era))
    assert only_stream.status_code == 406
    assert both.headers["content-type"] == "application/json"
