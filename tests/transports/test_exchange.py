"""Handshake-era `tools/list` and `tools/call` POSTs are answered in the request's own exchange
(`mcpserver.exchange.answer_requests_in_their_exchange`) rather than through the SDK's per-request transport. A client
cannot tell: every request here gets the status, content type and bytes the SDK's own stateless path gives
it, the refusals included."""

from __future__ import annotations

import json
import logging
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from http import HTTPStatus
from typing import Any

import httpx
import pytest
from mcp.server import _streamable_http_modern as modern
from mcp.server import streamable_http_manager
from mcp_types import INTERNAL_ERROR

from ccc_mcp.mcpserver import exchange
from tests.fakes import FakeCcc
from tests.transports.conftest import JSON_HEADERS, RunningHttp, initialize_body

ARGS = {"instance_id": "ccc-test", "user_id": "agent@ccc-test"}


def rpc(method: str, params: Any = None, request_id: Any = 7) -> dict[str, Any]:
    body: dict[str, Any] = {"jsonrpc": "2.0", "id": request_id, "method": method}
    if params is not None:
        body["params"] = params
    return body


def call(name: str, arguments: Any) -> dict[str, Any]:
    return rpc("tools/call", {"name": name, "arguments": arguments})


# (what is sent, headers over JSON_HEADERS, body: a JSON value, or bytes sent as they are)
CASES: dict[str, tuple[dict[str, str], Any]] = {
    "list, no version header": ({}, rpc("tools/list")),
    "list at 2025-11-25": ({"mcp-protocol-version": "2025-11-25"}, rpc("tools/list")),
    "list at 2025-06-18": ({"mcp-protocol-version": "2025-06-18"}, rpc("tools/list")),
    "list at 2025-03-26": ({"mcp-protocol-version": "2025-03-26"}, rpc("tools/list")),
    "list narrowed by X-MCP-Tools": ({"x-mcp-tools": "unmute_call,mute_call"}, rpc("tools/list")),
    "list read-only": ({"x-mcp-readonly": "true"}, rpc("tools/list")),
    "list with a misspelt X-MCP-Tools": ({"x-mcp-tools": "unmute_cal"}, rpc("tools/list")),
    "list with a string id": ({}, rpc("tools/list", request_id="abc")),
    "list with id 0 and a cursor": ({}, rpc("tools/list", {"cursor": "x"}, request_id=0)),
    "call that succeeds": ({"mcp-protocol-version": "2025-11-25"}, call("unmute_call", ARGS)),
    "call at 2025-06-18": ({"mcp-protocol-version": "2025-06-18"}, call("unmute_call", ARGS)),
    "call with a wrong type": ({}, call("unmute_call", {**ARGS, "instance_id": 7})),
    "call with non-ASCII": ({}, call("unmute_call", {**ARGS, "job_id": "job-é✓"})),
    "call of an unknown tool": ({}, call("no_such_tool", {})),
    "call narrowed away": ({"x-mcp-tools": "mute_call"}, call("unmute_call", ARGS)),
    "call without a name": ({}, rpc("tools/call", {"arguments": ARGS})),
    "call without params": ({}, rpc("tools/call")),
    "call with arguments not an object": ({}, call("unmute_call", [1, 2])),
    "initialize": ({}, initialize_body()),
    "ping": ({}, rpc("ping")),
    "a method nobody serves": ({}, rpc("no/such/method")),
    "a notification": ({}, {"jsonrpc": "2.0", "method": "notifications/initialized"}),
    "a posted response": ({}, {"jsonrpc": "2.0", "id": 3, "result": {}}),
    "a batch": ({}, [rpc("tools/list"), rpc("ping", request_id=8)]),
    "not JSON": ({}, b'{"jsonrpc": "2.0", "id": 1, "method": "tools/li'),
    "JSON, not JSON-RPC": ({}, {"hello": "world"}),
    "accepts only event streams": ({"accept": "text/event-stream"}, rpc("tools/list")),
    "accepts application/*": ({"accept": "application/*"}, rpc("tools/list")),
    "accepts anything": ({"accept": "*/*;q=0.1"}, call("unmute_call", ARGS)),
    "sends text": ({"content-type": "text/plain"}, rpc("tools/list")),
    "sends JSON with a charset": ({"content-type": "application/json; charset=utf-8"}, rpc("tools/list")),
    "sends two types": ({"content-type": "text/plain, application/json"}, rpc("tools/list")),
    "from a foreign origin": ({"origin": "https://evil.example"}, call("unmute_call", ARGS)),
    "to a foreign host": ({"host": "evil.example"}, call("unmute_call", ARGS)),
}


@pytest.fixture
def both(http_server: Callable[..., Any]) -> Callable[..., Any]:
    """`async with both() as (ours, sdks):` the same application twice: as configured (CI runs this file
    again with CCC_MCP_SDK_FAST_PATHS=off), and with every request taking the SDK's own stateless path."""

    @asynccontextmanager
    async def start() -> AsyncIterator[tuple[RunningHttp, RunningHttp]]:
        async with http_server() as ours, http_server(sdk_fast_paths="off") as sdks:
            yield ours, sdks

    return start


async def _exchange(http: httpx.AsyncClient, url: str, headers: dict[str, str], body: Any) -> tuple[Any, ...]:
    content = body if isinstance(body, bytes) else json.dumps(body).encode()
    response = await http.post(url, content=content, headers={**JSON_HEADERS, **headers})
    return response.status_code, response.headers.get("content-type"), response.content


async def test_every_request_is_answered_as_the_sdks_stateless_path_answers_it(both: Callable[..., Any]) -> None:
    async with both() as (ours, sdks), httpx.AsyncClient() as http:
        for case, (headers, body) in CASES.items():
            expected = await _exchange(http, sdks.mcp_url, headers, body)
            got = await _exchange(http, ours.mcp_url, headers, body)
            assert got == expected, case


async def test_other_http_methods_are_answered_as_the_sdk_answers_them(both: Callable[..., Any]) -> None:
    headers = {"accept": "application/json"}  # a GET that accepts an event stream would open one, on both
    async with both() as (ours, sdks), httpx.AsyncClient() as http:
        for method in ("GET", "DELETE", "PUT"):
            expected = await http.request(method, sdks.mcp_url, headers=headers)
            got = await http.request(method, ours.mcp_url, headers=headers)
            assert (got.status_code, got.content) == (expected.status_code, expected.content), method


async def test_a_call_answered_in_its_exchange_reaches_ccc_once(
    http_server: Callable[..., Any], fake_ccc: FakeCcc
) -> None:
    async with http_server(sdk_fast_paths="on") as running, httpx.AsyncClient() as http:
        status, _, body = await _exchange(http, running.mcp_url, {}, call("unmute_call", ARGS))
    assert status == 200
    assert json.loads(body)["result"]["structuredContent"]["ok"] is True
    assert len(fake_ccc.seen) == 1


@pytest.fixture
def transports_made(monkeypatch: pytest.MonkeyPatch) -> list[object]:
    """Each transport the SDK's stateless path builds (one per request it handles)."""
    made: list[object] = []

    class CountedTransport(streamable_http_manager.StreamableHTTPServerTransport):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            made.append(self)
            super().__init__(*args, **kwargs)

    monkeypatch.setattr(streamable_http_manager, "StreamableHTTPServerTransport", CountedTransport)
    return made


async def test_tool_requests_get_no_transport_of_their_own(
    http_server: Callable[..., Any], transports_made: list[object]
) -> None:
    """What the exchange saves: the SDK builds a transport (with its streams and a server task) per request;
    for `tools/list` and `tools/call` it builds none, and for the rest it still does."""
    made = transports_made
    async with http_server(sdk_fast_paths="on") as running, httpx.AsyncClient() as http:
        for body in (rpc("tools/list"), call("unmute_call", ARGS), call("unmute_call", {})):
            assert (await _exchange(http, running.mcp_url, {}, body))[0] == 200
        assert made == []
        assert (await _exchange(http, running.mcp_url, {}, initialize_body()))[0] == 200
        assert (await _exchange(http, running.mcp_url, {}, rpc("ping")))[0] == 200
    assert len(made) == 2


async def test_a_failure_outside_the_handler_is_answered_as_the_sdks_transport_answers_it(
    http_server: Callable[..., Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Handling the POST fails after the checks (here: building the answer raises): a 500 with the SDK
    transport's own JSON-RPC error, not a bare server error."""

    async def broken(*args: Any) -> str:
        raise RuntimeError("a bug's own words")

    monkeypatch.setattr(exchange, "_answer", broken)
    sdks = streamable_http_manager.StreamableHTTPServerTransport(
        mcp_session_id=None, is_json_response_enabled=True, event_store=None
    )._create_error_response("Error handling POST request", HTTPStatus.INTERNAL_SERVER_ERROR, INTERNAL_ERROR)
    async with http_server(sdk_fast_paths="on") as running, httpx.AsyncClient() as http:
        status, content_type, body = await _exchange(http, running.mcp_url, {}, call("unmute_call", ARGS))
    assert (status, content_type, body) == (500, "application/json", sdks.body)
    assert b"own words" not in body


async def test_with_the_switch_off_every_request_takes_the_sdks_way(
    http_server: Callable[..., Any], transports_made: list[object]
) -> None:
    """CCC_MCP_SDK_FAST_PATHS=off: no exchange; the SDK builds its transport for the tools requests too."""
    async with http_server(sdk_fast_paths="off") as running, httpx.AsyncClient() as http:
        for body in (rpc("tools/list"), call("unmute_call", ARGS), call("unmute_call", {})):
            assert (await _exchange(http, running.mcp_url, {}, body))[0] == 200
    assert len(transports_made) == 3


class _FailingContext(modern._SingleExchangeDispatchContext):
    """The SDK's single-exchange context as a release might change it under the start-up check: the same
    fields, but building one fails."""

    def __init__(self, transport: Any, request_id: Any, message_metadata: Any, **rest: Any) -> None:
        raise TypeError("__init__() got an unexpected keyword argument 'transport'")


async def test_an_exchange_that_fails_at_run_time_answers_the_sdks_way_and_turns_itself_off(
    http_server: Callable[..., Any],
    transports_made: list[object],
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """The request whose exchange failed is answered the SDK's way, with what the SDK answers (not a 500);
    from then on every request goes the SDK's way; one WARNING says so."""
    monkeypatch.setattr(modern, "_SingleExchangeDispatchContext", _FailingContext)
    caplog.set_level(logging.WARNING, logger="ccc_mcp.mcpserver.internals")
    answers = []
    async with http_server(sdk_fast_paths="on") as running, httpx.AsyncClient() as http:
        for body in (call("unmute_call", ARGS), rpc("tools/list"), call("unmute_call", ARGS)):
            answers.append(await _exchange(http, running.mcp_url, {}, body))
    assert [(status, kind) for status, kind, _ in answers] == [(200, "application/json")] * 3
    assert json.loads(answers[0][2])["result"]["structuredContent"]["ok"] is True
    assert len(transports_made) == 3, "each request took the SDK's way"
    [warning] = [record.getMessage() for record in caplog.records if record.levelno == logging.WARNING]
    assert "building an exchange raised TypeError" in warning
    assert "the SDK's stateless handling of every request" in warning
