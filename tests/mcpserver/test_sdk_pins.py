"""Pins the MCP SDK behaviour that `ccc_mcp.mcpserver` relies on, public API and internals alike, so an SDK
upgrade that changes it fails here first, with a name that says what broke (docs/architecture.md §4,
"Depending on SDK internals", lists which test pins which)."""

from __future__ import annotations

import inspect
import io
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import anyio
import httpx
import pydantic
import pytest
from mcp import Client
from mcp.server.mcpserver import MCPServer
from mcp.server.mcpserver.tools import Tool
from mcp.server.mcpserver.utilities.func_metadata import ArgModelBase, FuncMetadata
from mcp.server.stdio import stdio_server
from mcp.shared._context_streams import create_context_streams
from mcp.shared.exceptions import MCPError
from mcp.shared.message import SessionMessage
from mcp_types import CallToolResult, TextContent, jsonrpc_message_adapter

from ccc_mcp.api.credentials import StaticCredentials
from ccc_mcp.config.settings import load_settings
from ccc_mcp.mcpserver.assembly import build_server
from ccc_mcp.mcpserver.eras import era_loops, lowlevel_server, serve_on_streams
from ccc_mcp.mcpserver.exchange import answer_requests_in_their_exchange
from ccc_mcp.mcpserver.sdk_tools import Toolset, build_mcp_tool
from ccc_mcp.mcpserver.spans import without_sdk_spans
from ccc_mcp.mcpserver.stdio_wire import decode_stdio_line, encode_stdio_message
from ccc_mcp.net.asgi import bind_socket, hosted
from ccc_mcp.tools.schema import model_schema, published_input_schema
from ccc_mcp.tools.unmute_call import UNMUTE_CALL
from tests.fakes import FAKE_ENDPOINT, TEST_KEY, FakeCcc


async def test_a_hand_built_tool_publishes_our_schemas_and_gets_raw_arguments() -> None:
    """Tool(parameters=..., fn_metadata=FuncMetadata(output_schema=...)) is published as given, and the
    overridden Tool.run hands the caller's arguments to our handler unvalidated: a wrong type reaches our
    validation (a structured Parameter.Invalid), not the SDK's (raw pydantic text)."""
    fake = FakeCcc()
    settings = load_settings(endpoint=FAKE_ENDPOINT, tools="unmute_call")
    server = build_server(settings, credentials=StaticCredentials(TEST_KEY), transport=fake.transport())
    async with Client(server) as client:
        [listed] = (await client.list_tools()).tools
        result = await client.call_tool("unmute_call", {"instance_id": 7, "user_id": "agent@ccc-test"})
    assert listed.input_schema == published_input_schema(UNMUTE_CALL.arguments_for(settings), settings)
    assert listed.output_schema == model_schema(UNMUTE_CALL.result, "serialization")
    assert result.structured_content is not None
    error = result.structured_content["error"]
    assert (error["code"], error["params"]) == ("Parameter.Invalid", ["instance_id"])
    assert error["message"] == "The parameter instance_id must be a string, not a number."
    assert fake.seen == []


async def test_middleware_sees_method_params_and_request_and_may_replace_the_result() -> None:
    """MCPServer(middleware=[...]): each request passes through with ctx.method, the raw ctx.params and
    ctx.request (None in memory); tools/list's result comes back as a dict (or a ListToolsResult) that the
    middleware may replace."""
    seen: list[tuple[str, Any, Any, str]] = []

    async def spy(ctx: Any, call_next: Any) -> Any:
        result = await call_next(ctx)
        seen.append((ctx.method, dict(ctx.params or {}), ctx.request, type(result).__name__))
        if ctx.method == "tools/list":
            return {**result, "tools": []} if isinstance(result, dict) else result.model_copy(update={"tools": []})
        return result

    tool = build_mcp_tool(UNMUTE_CALL, Toolset((UNMUTE_CALL,), load_settings()))
    server = MCPServer("pin", tools=[tool], middleware=[spy])
    async with Client(server) as client:
        listed = (await client.list_tools()).tools
    [(_, _, request, kind)] = [entry for entry in seen if entry[0] == "tools/list"]
    assert request is None
    assert kind in ("dict", "ListToolsResult")
    assert listed == [], "the middleware's result is what the client got"


class _MappingTool(Tool):
    """A tool whose handler's return value goes to the SDK untouched, as `_RawArgumentsTool`'s does."""

    async def run(self, arguments: dict[str, Any], context: Any, convert_result: bool = False) -> Any:
        return await self.fn(arguments, context)


def _mapping_server(answer: dict[str, Any]) -> MCPServer:
    async def handle(arguments: dict[str, Any], ctx: Any) -> dict[str, Any]:
        return answer

    tool = _MappingTool(
        fn=handle, name="t", description="d", parameters={"type": "object"},
        fn_metadata=FuncMetadata(arg_model=ArgModelBase), is_async=True,
    )  # fmt: skip
    return MCPServer("pin", tools=[tool])


async def test_the_sdks_span_per_message_is_one_middleware_that_can_be_taken_out() -> None:
    """The SDK ships its OpenTelemetry middleware first in `MCPServer.middleware` and documents dropping it
    from that list to opt out; `without_sdk_spans` does, leaving the rest of the chain in order, and the
    server still answers."""
    from mcp.server._otel import OpenTelemetryMiddleware

    async def ours(ctx: Any, call_next: Any) -> Any:
        return await call_next(ctx)

    server = MCPServer("pinned", middleware=[ours])

    @server.tool()
    def ping() -> str:
        return "pong"

    before = list(server.middleware)
    assert [type(step) for step in before[:1]] == [OpenTelemetryMiddleware]
    assert before[-1] is ours
    assert without_sdk_spans(server) is True, "the SDK's middleware class is where the fast path looks it up"
    assert server.middleware == before[1:]
    async with Client(server) as client:
        result = await client.call_tool("ping", {})
    assert result.structured_content == {"result": "pong"}


@pytest.mark.parametrize("mode", ["auto", "legacy"])
async def test_a_handler_may_return_the_call_result_as_a_wire_form_mapping(mode: str) -> None:
    """to_tool_result hands the SDK a mapping with camelCase keys: it reaches the client as the
    CallToolResult it spells, in both protocol eras."""
    structured = {"ok": False, "error": {"code": "X", "text": "caf\u00e9"}}
    answer = {
        "content": [{"type": "text", "text": "caf\u00e9"}],
        "structuredContent": structured,
        "isError": True,
        "resultType": "complete",
    }
    async with Client(_mapping_server(answer), mode=mode) as client:  # type: ignore[arg-type]
        result = await client.call_tool("t", {})
    assert (result.is_error, result.structured_content) == (True, structured)
    assert [block.model_dump(exclude_none=True) for block in result.content] == [{"type": "text", "text": "caf\u00e9"}]


async def test_a_mapping_result_is_still_validated_against_the_protocols_result_shape() -> None:
    """The SDK checks a mapping as it checks a model: a malformed one is a server error, never sent as is."""
    malformed = {"content": "not a list", "isError": False}
    async with Client(_mapping_server(malformed)) as client:
        with pytest.raises(MCPError, match="invalid result"):
            await client.call_tool("t", {})


# --- stateless HTTP: what answer_requests_in_their_exchange relies on ------------------------------------

def test_the_stateless_manager_answers_handshake_era_posts_through_one_method() -> None:
    """The session manager sends every handshake-era request of a stateless server to
    `_handle_stateless_request(protocol_version_hint, scope, receive, send)`, looked up on the manager as it
    dispatches (so one manager's can be replaced), and keeps what that needs; the exchange's check accepts it."""
    server = MCPServer("pinned")
    server.streamable_http_app(json_response=True, stateless_http=True)
    manager = server.session_manager
    parameters = list(inspect.signature(manager._handle_stateless_request).parameters)
    assert parameters == ["protocol_version_hint", "scope", "receive", "send"]
    assert "_handle_stateless_request" in type(manager)._handle_request.__code__.co_names
    assert (manager.stateless, manager.json_response) == (True, True)
    assert hasattr(manager, "_lifespan_state")
    assert hasattr(manager, "security_settings")
    assert manager.app is server._lowlevel_server, "the manager's public `app` is the low-level server"
    assert answer_requests_in_their_exchange(server) is True


async def test_the_sdks_single_exchange_context_has_no_back_channel() -> None:
    """The dispatch context an exchange uses (the SDK's, for its 2026-era exchange) without a sink: a request
    to the client is refused, a notification or progress goes nowhere, as in the SDK's JSON-response mode."""
    from mcp.server._streamable_http_modern import _SingleExchangeDispatchContext
    from mcp.shared.exceptions import NoBackChannelError
    from mcp.shared.transport_context import TransportContext

    context = _SingleExchangeDispatchContext(
        transport=TransportContext(kind="streamable-http", can_send_request=False), request_id=1, message_metadata=None
    )
    assert context.can_send_request is False
    with pytest.raises(NoBackChannelError):
        await context.send_raw_request("sampling/createMessage", {})
    await context.notify("notifications/message", {"level": "info", "data": "dropped"})
    await context.progress(0.5)
    assert not context.cancel_requested.is_set()


def test_only_a_stateless_server_with_json_responses_answers_in_the_exchange() -> None:
    server = MCPServer("pinned")
    server.streamable_http_app(json_response=False, stateless_http=True)
    with pytest.raises(ValueError, match="stateless server with JSON responses"):
        answer_requests_in_their_exchange(server)


class _Raises:
    """Middleware that answers a tools/call as its tool's name says: failing in one of the ways a handler can,
    or naming the protocol version the request was served at."""

    async def __call__(self, ctx: Any, call_next: Any) -> Any:
        name = (ctx.params or {}).get("name") if ctx.method == "tools/call" else None
        if name == "mcp_error":
            raise MCPError(code=-32001, message="refused", data={"why": "pinned"})
        if name == "mcp_error_without_data":
            raise MCPError(code=-32001, message="refused")
        if name == "validation":
            pydantic.TypeAdapter(int).validate_python("not a number")  # raises a ValidationError
        if name == "bug":
            raise RuntimeError("a bug's own words")
        if name == "version":
            return CallToolResult(content=[TextContent(type="text", text=str(ctx.protocol_version))])
        return await call_next(ctx)


_ERROR_CODES = {"mcp_error": -32001, "mcp_error_without_data": -32001, "validation": -32602, "bug": 0}


@pytest.mark.parametrize("version", [None, "2024-11-05", "2025-11-25"])
@pytest.mark.parametrize("tool", [*_ERROR_CODES, "version", "ping"])
async def test_an_exchange_answers_as_the_sdks_stateless_path_for_a_server_of_any_kind(
    tool: str, version: str | None
) -> None:
    """At the request's protocol version (the SDK's default without a header), with the SDK dispatcher's
    mapping of a failure: an MCPError keeps its own error; a pydantic ValidationError is INVALID_PARAMS with
    empty data; anything else is code 0 with the exception's text (the SDK's handshake-era compatibility)."""
    answers = []
    headers = {"accept": "application/json", **({"mcp-protocol-version": version} if version else {})}
    body = {"jsonrpc": "2.0", "id": 1, "method": "tools/call", "params": {"name": tool, "arguments": {}}}
    for direct in (False, True):
        server = MCPServer("pinned", middleware=[_Raises()])

        @server.tool()
        def ping() -> str:
            return "pong"

        app = server.streamable_http_app(json_response=True, stateless_http=True)
        if direct:
            answer_requests_in_their_exchange(server)
        async with hosted(app, bind_socket("127.0.0.1", 0), lifespan="on") as (host, port), httpx.AsyncClient() as http:
            response = await http.post(f"http://{host}:{port}/mcp", json=body, headers=headers)
        answers.append((response.status_code, response.headers["content-type"], response.content))
    assert answers[1] == answers[0]
    reply = json.loads(answers[0][2])
    assert reply.get("error", {}).get("code") == _ERROR_CODES.get(tool)
    if tool == "version":
        assert reply["result"]["content"][0]["text"] == (version or "2025-03-26")


# --- stdio: what transports.stdio mirrors of the SDK's stdio transport ---------------------------------

SDK_STDIO_SCRIPT = """
import json, sys
import anyio
from mcp.server.stdio import stdio_server
from mcp.shared.message import SessionMessage
from mcp_types import jsonrpc_message_adapter

def describe(item):
    if isinstance(item, SessionMessage):
        return item.message.model_dump(mode="json", by_alias=True, exclude_unset=True)
    return [type(item).__name__, str(item)]

async def main():
    async with stdio_server() as (read, write):
        items = [describe(item) async for item in read]
        with open(sys.argv[2]) as outgoing:
            for raw in json.load(outgoing):
                await write.send(SessionMessage(jsonrpc_message_adapter.validate_python(raw)))
        await write.aclose()
    with open(sys.argv[1], "w") as seen:
        json.dump(items, seen)

anyio.run(main)
"""

STDIN_BYTES = (
    b'{"jsonrpc":"2.0","id":1,"method":"ping"}\n'
    b"{not json\n"
    b'{"jsonrpc":"2.0","id":2\n'
    b'{"jsonrpc":"2.0","method":"x","params":{"s":"caf\xc3\xa9 \xff \xe5\xb7"}}\n'
    b"\n"
    b'{"jsonrpc":"2.0","id":3,"method":"ping"}\r\n'
    b'{"jsonrpc":"2.0","id":4,"method":"ping"}\r'
    b'{"jsonrpc":"2.0","id":5,"method":"ping"}'
)
# The lines the SDK's text wrapper (universal newlines) reads from STDIN_BYTES: CR LF and a lone CR end a
# line as LF does, and the last line needs no newline.
STDIN_LINES = [
    b'{"jsonrpc":"2.0","id":1,"method":"ping"}\n',
    b"{not json\n",
    b'{"jsonrpc":"2.0","id":2\n',
    b'{"jsonrpc":"2.0","method":"x","params":{"s":"caf\xc3\xa9 \xff \xe5\xb7"}}\n',
    b"\n",
    b'{"jsonrpc":"2.0","id":3,"method":"ping"}\n',
    b'{"jsonrpc":"2.0","id":4,"method":"ping"}\n',
    b'{"jsonrpc":"2.0","id":5,"method":"ping"}',
]
OUTGOING = [
    {"jsonrpc": "2.0", "id": 1, "result": {}},
    {"jsonrpc": "2.0", "id": 2, "result": {"content": [{"type": "text", "text": "caf\xe9 \u5de5\u5177 \U0001f600"}]}},
    {"jsonrpc": "2.0", "id": 3, "error": {"code": -32602, "message": "bad \u00ab params \u00bb"}},
    {"jsonrpc": "2.0", "method": "notifications/message", "params": {"level": "info", "data": None}},
]


def _describe(item: Any) -> Any:
    if isinstance(item, SessionMessage):
        return item.message.model_dump(mode="json", by_alias=True, exclude_unset=True)
    return [type(item).__name__, str(item)]


def test_our_stdio_lines_and_messages_are_the_sdks(tmp_path: Path) -> None:
    """The SDK's stdio transport, on a real process's stdin and stdout: each line of stdin becomes the read
    item `decode_stdio_line` makes of it (same message, or same exception with the same text: invalid JSON,
    a cut line, invalid UTF-8 replaced, an empty line), and each message is written as the bytes
    `encode_stdio_message` gives (compact, unset fields left out, UTF-8 unescaped)."""
    seen, outgoing = tmp_path / "seen.json", tmp_path / "outgoing.json"
    outgoing.write_text(json.dumps(OUTGOING))
    done = subprocess.run(
        [sys.executable, "-c", SDK_STDIO_SCRIPT, str(seen), str(outgoing)],
        input=STDIN_BYTES, capture_output=True, timeout=60, check=True,
    )
    assert json.loads(seen.read_text()) == [_describe(decode_stdio_line(line)) for line in STDIN_LINES]
    ours = [encode_stdio_message(SessionMessage(jsonrpc_message_adapter.validate_python(raw))) for raw in OUTGOING]
    assert done.stdout == b"".join(ours)


async def test_the_sdks_stdio_read_stream_keeps_each_messages_context() -> None:
    """The SDK's stdio transport hands the server a stream that keeps the context each message was read in
    as `last_context`, which the serving loop runs its handler in: `transports.stdio_inflight.NotingReads`
    passes it on."""
    import contextvars

    quiet_in = anyio.wrap_file(io.StringIO('{"jsonrpc":"2.0","id":1,"method":"ping"}\n'))
    async with stdio_server(stdin=quiet_in, stdout=anyio.wrap_file(io.StringIO())) as (sdk_read, sdk_write):
        item = await sdk_read.receive()
        assert isinstance(item, SessionMessage)
        assert isinstance(getattr(sdk_read, "last_context", None), contextvars.Context)
        await sdk_write.aclose()


def test_run_stdio_async_is_the_lowlevel_loop_on_the_stdio_streams() -> None:
    """`transports.stdio` serves on the SDK's streams (`serve_on_streams`) what `MCPServer.run_stdio_async`
    does; if the SDK's method changes (more set-up, other options), ours must follow."""
    source = inspect.getsource(MCPServer.run_stdio_async)
    body = [text.strip() for text in source.splitlines()[2:] if text.strip()]
    assert body == [
        "async with stdio_server() as (read_stream, write_stream):",
        "await self._lowlevel_server.run(",
        "read_stream,",
        "write_stream,",
        "self._lowlevel_server.create_initialization_options(),",
        ")",
    ]


def test_the_lowlevel_loop_is_the_lifespan_around_the_dual_era_loop() -> None:
    """`serve_on_streams` enters the lifespan and chooses the era itself (without the SDK's relay task); if
    `Server.run` does more, or `serve_dual_era_loop` chooses otherwise, ours must follow."""
    from mcp.server.lowlevel.server import Server
    from mcp.server.runner import serve_dual_era_loop

    body = [text.strip() for text in inspect.getsource(Server.run).split('"""')[2].splitlines() if text.strip()]
    assert body == [
        "async with self.lifespan(self) as lifespan_context:",
        "await serve_dual_era_loop(",
        "self,",
        "read_stream,",
        "write_stream,",
        "lifespan_state=lifespan_context,",
        "init_options=initialization_options,",
        "raise_exceptions=raise_exceptions,",
        ")",
    ]
    loop = inspect.getsource(serve_dual_era_loop)
    assert "opening is not None and opening.method != \"initialize\" and _has_modern_envelope(opening.params)" in loop
    assert "_serve_modern_stream(" in loop
    assert "_serve_legacy_stream(" in loop


def _frame(message: dict[str, Any]) -> SessionMessage:
    return SessionMessage(jsonrpc_message_adapter.validate_python(message, by_name=False))


_INIT = {"jsonrpc": "2.0", "id": 1, "method": "initialize",
         "params": {"protocolVersion": "2025-11-25", "capabilities": {}, "clientInfo": {"name": "t", "version": "0"}}}
_INITIALIZED = {"jsonrpc": "2.0", "method": "notifications/initialized"}
_MODERN_META = {"io.modelcontextprotocol/protocolVersion": "2026-07-28",
                "io.modelcontextprotocol/clientCapabilities": {}}
_CONVERSATIONS: dict[str, list[Any]] = {
    "the handshake era": [
        _frame(_INIT), _frame(_INITIALIZED),
        _frame({"jsonrpc": "2.0", "id": 2, "method": "tools/list"}),
        _frame({"jsonrpc": "2.0", "id": 3, "method": "tools/call", "params": {"name": "ping", "arguments": {}}}),
        ValueError("a line that is not a message"),
        _frame({"jsonrpc": "2.0", "id": 4, "method": "ping"}),
        _frame({"jsonrpc": "2.0", "id": 5, "method": "tools/list", "params": {"_meta": _MODERN_META}}),
    ],
    "frames before the first request, more than the SDK keeps": [
        *[_frame({"jsonrpc": "2.0", "method": "notifications/progress",
                  "params": {"progressToken": n, "progress": 1}}) for n in range(10)],
        _frame(_INIT), _frame(_INITIALIZED), _frame({"jsonrpc": "2.0", "id": 2, "method": "ping"}),
    ],
    "the 2026 era": [
        _frame({"jsonrpc": "2.0", "id": 1, "method": "tools/list", "params": {"_meta": _MODERN_META}}),
        _frame({"jsonrpc": "2.0", "id": 2, "method": "tools/call",
                "params": {"name": "ping", "arguments": {}, "_meta": _MODERN_META}}),
        _frame(_INIT),
    ],
    "no request at all": [_frame(_INITIALIZED), ValueError("not a message")],
    "nothing": [],
}


async def _conversation(serve: Any, items: list[Any]) -> list[str]:
    """What a server answers to `items`, served by `serve(server, read_stream, write_stream)`, in order."""
    server = MCPServer("pinned")

    @server.tool()
    def ping() -> str:
        return "pong"

    # What the SDK's stdio transport hands the server, with room for every item: a server that stops reading
    # fails the comparison instead of leaving the sender waiting.
    send, receive = create_context_streams[Any](len(items))
    sink = _Sink()
    async with anyio.create_task_group() as tasks:
        tasks.start_soon(serve, server, receive, sink)
        async with send:
            for item in items:
                await send.send(item)
                await anyio.wait_all_tasks_blocked()  # one at a time: the order of answers is the client's
    return sink.written


class _Sink:
    """A write stream that keeps each message's wire form."""

    def __init__(self) -> None:
        self.written: list[str] = []

    async def send(self, item: SessionMessage) -> None:
        self.written.append(item.message.model_dump_json(by_alias=True, exclude_unset=True))

    async def aclose(self) -> None:
        pass

    async def __aenter__(self) -> _Sink:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        pass


async def _sdks_way(server: MCPServer, read_stream: Any, write_stream: Any) -> None:
    lowlevel = server._lowlevel_server
    await lowlevel.run(read_stream, write_stream, lowlevel.create_initialization_options())


async def _fast_path(server: MCPServer, read_stream: Any, write_stream: Any) -> None:
    loops = era_loops()
    assert loops is not None, "the era choice's SDK internals are where it looks them up"
    await serve_on_streams(server, read_stream, write_stream, loops)


async def _without_the_fast_path(server: MCPServer, read_stream: Any, write_stream: Any) -> None:
    await serve_on_streams(server, read_stream, write_stream, None)


@pytest.mark.parametrize("conversation", list(_CONVERSATIONS))
@pytest.mark.parametrize("serve", [_fast_path, _without_the_fast_path], ids=["fast path", "without it"])
async def test_a_connection_is_served_in_its_era_as_the_sdk_serves_it(conversation: str, serve: Any) -> None:
    """The same era for the same first request, the same frames dropped before it, the same answers."""
    items = _CONVERSATIONS[conversation]
    expected = await _conversation(_sdks_way, items)
    assert await _conversation(serve, items) == expected
    if conversation not in ("nothing", "no request at all"):
        assert expected, "the conversation is answered"


def test_the_session_managers_app_is_the_low_level_server_under_the_mcpserver() -> None:
    """How `serve_on_streams` reaches the low-level server through public API, made on first use."""
    server = MCPServer("pinned")
    assert lowlevel_server(server) is server._lowlevel_server
    assert lowlevel_server(server) is server.session_manager.app, "made once, then reused"


@pytest.mark.parametrize("era", ["handshake", "2026"])
async def test_a_handler_runs_in_the_context_its_message_was_read_in(era: str) -> None:
    """Served on the SDK's context-aware stream (our fallback transport's), a request's handler sees the
    context the reader had when it read the message, as with the SDK's relay; in the 2026 era the first
    request (the one read ahead to choose the era) is a call too."""
    import contextvars

    reader_mark: contextvars.ContextVar[str] = contextvars.ContextVar("reader_mark", default="none")
    seen: list[str] = []
    server = MCPServer("pinned")

    @server.tool()
    def where() -> str:
        seen.append(reader_mark.get())
        return "ok"

    send, receive = create_context_streams[Any](0)
    params: dict[str, Any] = {"name": "where", "arguments": {}}
    if era == "2026":
        params["_meta"] = _MODERN_META
    call = {"jsonrpc": "2.0", "method": "tools/call", "params": params}
    messages = [{**call, "id": 2}, {**call, "id": 3}]
    if era == "handshake":
        messages = [_INIT, _INITIALIZED, *messages]
    async with anyio.create_task_group() as tasks:
        tasks.start_soon(serve_on_streams, server, receive, _Sink(), era_loops())
        async with send:
            for n, message in enumerate(messages):
                reader_mark.set(f"read {n}")
                await send.send(_frame(message))
                await anyio.wait_all_tasks_blocked()
    calls = len(messages) - 2
    assert seen == [f"read {calls}", f"read {calls + 1}"]
