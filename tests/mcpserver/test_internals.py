"""Each fast path checks the MCP SDK internals it relies on before it starts, and an internal that is there but
changed (another signature, no longer a class or a count) is as good as missing: that fast path is off, said
once in a WARNING naming the SDK's version and the piece, and the path is served the SDK's public way. A
failure at run time falls back too (the stdio era choice here; the HTTP exchange in
tests/transports/test_exchange.py). Missing internals, in a real process: tests/e2e/test_sdk_internals.py."""

from __future__ import annotations

import logging
from importlib import metadata
from typing import Any

import anyio
import pytest
from mcp.server import runner
from mcp.server.mcpserver import MCPServer
from mcp.server.streamable_http_manager import StreamableHTTPSessionManager
from mcp.shared._context_streams import create_context_streams
from mcp.shared.message import SessionMessage
from mcp_types import jsonrpc_message_adapter

from ccc_mcp.mcpserver.eras import EraLoops, era_loops, serve_on_streams
from ccc_mcp.mcpserver.exchange import answer_requests_in_their_exchange
from ccc_mcp.mcpserver.internals import Unusable, called_by_name, require_parameters
from ccc_mcp.mcpserver.spans import without_sdk_spans

GUARD = "ccc_mcp.mcpserver.internals"


def said(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [record.getMessage() for record in caplog.records if record.name == GUARD and record.levelno == logging.WARNING]


def test_parameters_are_checked_exactly_or_as_keywords() -> None:
    def loop(server: Any, read_stream: Any, *, lifespan_state: Any, extra: int = 0) -> None: ...

    require_parameters(loop, "loop", ("server", "read_stream", "lifespan_state", "extra"))
    require_parameters(loop, "loop", ("server", "read_stream", "lifespan_state"), exact=False)  # extra: optional
    with pytest.raises(Unusable, match=r"loop takes \(server, read_stream, lifespan_state, extra\), not \(server\)"):
        require_parameters(loop, "loop", ("server",))
    with pytest.raises(Unusable, match="not"):
        require_parameters(loop, "loop", ("server",), exact=False)  # read_stream is required and not passed
    with pytest.raises(Unusable, match="no longer callable"):
        require_parameters(8, "eight", ())


def test_a_caller_that_no_longer_looks_a_name_up_is_refused() -> None:
    def caller(thing: Any) -> Any:
        return thing.handle()

    called_by_name(caller, "handle", "caller")
    with pytest.raises(Unusable, match="caller no longer calls other"):
        called_by_name(caller, "other", "caller")


def _changed_signature(server: Any, read_stream: Any, write_stream: Any) -> None: ...


# (what changes in the SDK, the fast path's check, what it returns when it falls back, the piece named)
CHANGES: dict[str, tuple[Any, str, Any]] = {
    "a loop with another signature": (
        lambda patch: patch.setattr(runner, "_serve_legacy_stream", _changed_signature),
        "era", "mcp.server.runner._serve_legacy_stream takes (server, read_stream, write_stream), not",
    ),
    "the envelope test with another signature": (
        lambda patch: patch.setattr(runner, "_has_modern_envelope", lambda params, version: False),
        "era", "mcp.server.runner._has_modern_envelope takes (params, version), not (params)",
    ),
    "the replay limit no longer a count": (
        lambda patch: patch.setattr(runner, "_PRE_REQUEST_REPLAY_LIMIT", "8"),
        "era", "mcp.server.runner._PRE_REQUEST_REPLAY_LIMIT is no longer a count",
    ),
    "the span middleware no longer a class": (
        lambda patch: patch.setattr("mcp.server._otel.OpenTelemetryMiddleware", object()),
        "spans", "mcp.server._otel.OpenTelemetryMiddleware is no longer a class",
    ),
    "the stateless handler with another signature": (
        lambda patch: patch.setattr(StreamableHTTPSessionManager, "_handle_stateless_request", _changed_signature),
        "exchange", "StreamableHTTPSessionManager._handle_stateless_request takes (read_stream, write_stream), not",
    ),
    "the manager dispatching without it": (
        lambda patch: patch.setattr(StreamableHTTPSessionManager, "_handle_request", lambda self, *args: None),
        "exchange", "StreamableHTTPSessionManager._handle_request no longer calls _handle_stateless_request",
    ),
    "the exchange context no longer taking its fields": (
        lambda patch: patch.setattr("mcp.server._streamable_http_modern._SingleExchangeDispatchContext", _Fieldless),
        "exchange", "mcp.server._streamable_http_modern._SingleExchangeDispatchContext takes (sink), not",
    ),
}


class _Fieldless:
    def __init__(self, sink: Any) -> None: ...


def _check(fast_path: str) -> Any:
    """Run one fast path's start-up check; what it gives back."""
    if fast_path == "era":
        return era_loops()
    server = MCPServer("checked")
    if fast_path == "spans":
        before = list(server.middleware)
        taken = without_sdk_spans(server)
        assert taken or server.middleware == before, "the chain is left as it was"
        return taken
    server.streamable_http_app(json_response=True, stateless_http=True)
    installed = answer_requests_in_their_exchange(server)
    assert installed or "_handle_stateless_request" not in vars(server.session_manager), "nothing replaced"
    return installed


@pytest.mark.parametrize("change", list(CHANGES))
def test_a_changed_internal_turns_its_fast_path_off_and_says_so_once(
    change: str, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    apply, fast_path, piece = CHANGES[change]
    assert _check(fast_path) not in (None, False), "on the installed SDK the fast path is on"
    apply(monkeypatch)
    caplog.set_level(logging.WARNING, logger=GUARD)
    assert _check(fast_path) in (None, False)
    [warning] = said(caplog)
    assert warning.startswith(f"MCP SDK {metadata.version('mcp')}: {piece}"), warning
    assert "served the SDK's public way instead" in warning


# --- the stdio era choice failing at run time --------------------------------------------------------------

_INIT = {"jsonrpc": "2.0", "id": 1, "method": "initialize",
         "params": {"protocolVersion": "2025-11-25", "capabilities": {}, "clientInfo": {"name": "t", "version": "0"}}}
_CONVERSATION = [
    _INIT,
    {"jsonrpc": "2.0", "method": "notifications/initialized"},
    {"jsonrpc": "2.0", "id": 2, "method": "tools/list"},
    {"jsonrpc": "2.0", "id": 3, "method": "tools/call", "params": {"name": "ping", "arguments": {}}},
]  # fmt: skip


async def _answers(loops: EraLoops | None) -> list[str]:
    server = MCPServer("pinned")

    @server.tool()
    def ping() -> str:
        return "pong"

    send, receive = create_context_streams[Any](len(_CONVERSATION))  # a server that stops reading cannot hang it
    written: list[str] = []

    class Sink:
        async def send(self, item: SessionMessage) -> None:
            written.append(item.message.model_dump_json(by_alias=True, exclude_unset=True))

        async def aclose(self) -> None: ...

        async def __aenter__(self) -> Sink:
            return self

        async def __aexit__(self, *exc_info: object) -> None: ...

    async with anyio.create_task_group() as tasks:
        tasks.start_soon(serve_on_streams, server, receive, Sink(), loops)
        async with send:
            for message in _CONVERSATION:
                await send.send(SessionMessage(jsonrpc_message_adapter.validate_python(message, by_name=False)))
                await anyio.wait_all_tasks_blocked()
    return written


async def test_a_loop_that_fails_to_start_leaves_the_connection_to_the_sdks_loop(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A signature that changed after the start-up check (or that it could not see): calling the loop fails
    before anything is read or written, and the SDK's own dual-era loop serves the whole conversation."""
    loops = era_loops()
    assert loops is not None
    changed = EraLoops(_changed_signature, loops.modern, loops.is_modern, loops.replay_limit)  # type: ignore[arg-type]
    expected = await _answers(None)
    caplog.set_level(logging.WARNING, logger=GUARD)
    assert await _answers(changed) == expected
    assert len(expected) == 3, "initialize, tools/list and tools/call answered"
    [warning] = said(caplog)
    assert "starting the SDK's loop raised TypeError" in warning
    assert warning.endswith("turns every fast path off.)")
