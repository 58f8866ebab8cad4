"""The one place that touches the MCP SDK's internals: turning `ToolSpec`s into SDK tools, and
narrowing the published tools per HTTP request.

What it relies on, each pinned by tests/mcpserver/test_adapter.py so an SDK upgrade fails there first:
- `mcp.server.mcpserver.tools.Tool` can be built directly with a hand-made `parameters` schema and a
  `FuncMetadata` whose `output_schema` is published, and its `run` can be overridden: our handler receives
  the caller's raw arguments and validates them itself, so bad input is a structured result instead of the
  SDK's raw pydantic text; the handler may return the `CallToolResult` as a mapping in its wire form
  (camelCase keys, `resultType` included), which the SDK validates against the protocol version's result
  shape and sends;
- `MCPServer.middleware` (provisional in mcp 2.x) starts with the SDK's OpenTelemetry middleware (a span per
  message), which the SDK documents dropping from that list to opt out;
- `MCPServer.middleware` sees every request with `ctx.method`, the raw
  `ctx.params` and `ctx.request` (the Starlette request on HTTP, None on stdio), and may replace the result;
- for stateless HTTP with JSON responses, how the SDK's session manager answers a handshake-era POST
  (`_handle_stateless_request`, replaced per manager by `answer_requests_in_their_exchange`): the checks
  it makes before dispatching, the connection and dispatch context it builds (the SDK's own single-exchange
  context, `_SingleExchangeDispatchContext`, serves), how the dispatcher turns a handler's exception into
  the JSON-RPC error, and the bytes of the JSON response;
- for `transports.stdio`, what the SDK's stdio transport does that ours mirrors: the stream pair it hands
  the server (context-aware memory streams, unbuffered), how it turns a line of stdin into a read-stream
  item (UTF-8 with invalid bytes replaced; a line that is not a JSON-RPC message becomes the validation
  exception itself), how it writes a message (one compact JSON line, aliases, unset fields left out), and
  how `MCPServer.run_stdio_async` runs the server on that pair: the lifespan around `serve_dual_era_loop`,
  whose choice of era `serve_on_streams` makes itself, without the relay task (the private
  `_serve_legacy_stream` / `_serve_modern_stream` loops it then runs, `_has_modern_envelope`,
  `_PRE_REQUEST_REPLAY_LIMIT`).
"""

from __future__ import annotations

import contextvars
import logging
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Self, TypeAlias, cast

import anyio
from mcp.server._otel import OpenTelemetryMiddleware
from mcp.server._streamable_http_modern import _SingleExchangeDispatchContext
from mcp.server.connection import Connection
from mcp.server.context import CallNext, HandlerResult, ServerRequestContext
from mcp.server.mcpserver import Context, MCPServer
from mcp.server.mcpserver.tools import Tool
from mcp.server.mcpserver.utilities.func_metadata import ArgModelBase, FuncMetadata
from mcp.server.runner import (
    _PRE_REQUEST_REPLAY_LIMIT,
    _has_modern_envelope,
    _serve_legacy_stream,
    _serve_modern_stream,
    serve_one,
)
from mcp.server.streamable_http import check_accept_headers
from mcp.server.transport_security import TransportSecurityMiddleware
from mcp.shared._context_streams import ContextReceiveStream, ContextSendStream, create_context_streams
from mcp.shared._stream_protocols import ReadStream, WriteStream
from mcp.shared.exceptions import MCPError
from mcp.shared.jsonrpc_dispatcher import handler_exception_to_error_data
from mcp.shared.message import ServerMessageMetadata, SessionMessage
from mcp.shared.transport_context import TransportContext
from mcp_types import (
    DEFAULT_NEGOTIATED_VERSION,
    INTERNAL_ERROR,
    INVALID_PARAMS,
    CallToolResult,
    ErrorData,
    JSONRPCError,
    JSONRPCRequest,
    JSONRPCResponse,
    ListToolsResult,
    TextContent,
    jsonrpc_message_adapter,
)
from pydantic import BaseModel
from pydantic_core import from_json, to_json
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import Message, Receive, Scope, Send

from ccc_mcp.config.settings import Settings
from ccc_mcp.net.replay import replaying
from ccc_mcp.policy.identity import Caller, identify
from ccc_mcp.policy.rights import Access, allowed
from ccc_mcp.tools.base import AppState, ToolSpec, run_tool
from ccc_mcp.tools.guidance import Guide
from ccc_mcp.tools.registry import READ_ONLY_HEADER, TOOLS_HEADER, ToolSelectionError, narrow
from ccc_mcp.tools.results import ToolResult
from ccc_mcp.tools.schema import model_schema, published_input_schema

__all__ = [
    "ReadStream",
    "ReadStreamBase",
    "StdioItem",
    "ToolNarrowing",
    "Toolset",
    "WriteStream",
    "answer_requests_in_their_exchange",
    "build_mcp_tool",
    "decode_stdio_line",
    "encode_stdio_message",
    "request_headers",
    "serve_on_streams",
    "stdio_read_channel",
    "to_tool_result",
    "without_sdk_spans",
]


class _RawArgumentsTool(Tool):
    """An SDK tool whose handler receives the caller's raw arguments (see the module docstring)."""

    async def run(self, arguments: dict[str, Any], context: Any, convert_result: bool = False) -> Any:
        return await self.fn(arguments, context)


class _NoArguments(ArgModelBase):
    pass


def to_tool_result(result: ToolResult) -> dict[str, Any]:
    """A `CallToolResult` in its wire form: structured content plus the same JSON as text (several hosts read
    only the text). Handed to the SDK as a mapping, which it validates and serialises once for the wire, as
    it does a model: built as a model first, the same result was also validated and dumped once more."""
    structured = result.model_dump(mode="json", exclude_none=True)  # absent, never null (tools/results.py)
    text = to_json(structured).decode()  # compact UTF-8 JSON, as json.dumps(..., ensure_ascii=False) minus spaces
    return {
        "content": [{"type": "text", "text": text}],
        "structuredContent": structured,
        "isError": not result.ok,
        "resultType": "complete",  # required by 2026-era clients; the SDK drops it for 2025-era ones
    }


def request_headers(request_context: Any) -> Mapping[str, str] | None:
    """The HTTP request's headers that narrow its tools (X-MCP-Tools, X-MCP-Readonly; names lower-cased), or
    None on stdio and in memory. Read in one pass over the raw headers: a call asks for them twice, and
    Starlette's `Headers.get` scans every header and raises a KeyError for each one absent."""
    request = getattr(request_context, "request", None)
    scope = getattr(request, "scope", None)
    if not isinstance(scope, dict):
        return None
    found: dict[str, str] = {}
    for name, value in scope.get("headers", ()):
        if name in _NARROWING and (key := name.decode("latin-1")) not in found:
            found[key] = value.decode("latin-1")
    return found


_NARROWING = frozenset({TOOLS_HEADER.encode(), READ_ONLY_HEADER.encode()})


@dataclass(frozen=True, slots=True)
class Toolset:
    """The tools a deployment publishes, and what each caller may see of them."""

    specs: tuple[ToolSpec[Any], ...]
    settings: Settings
    published: frozenset[str] = field(init=False)  # the names of `specs`, worked out once (asked on every call)
    _access: tuple[tuple[str, Access], ...] = field(init=False)  # each tool's name and access, likewise

    def __post_init__(self) -> None:
        object.__setattr__(self, "published", frozenset(spec.name for spec in self.specs))
        object.__setattr__(self, "_access", tuple((spec.name, spec.access) for spec in self.specs))

    def allowed(self, caller: Caller) -> frozenset[str]:
        """The published tools the caller's scopes allow."""
        return allowed(caller, self._access, self.settings)

    def visible(self, caller: Caller, headers: Mapping[str, str] | None) -> frozenset[str]:
        """Published, narrowed by the request's headers (may raise ToolSelectionError), allowed by the
        caller's scopes."""
        return narrow(self.published, headers) & self.allowed(caller)


def build_mcp_tool(spec: ToolSpec[Any], toolset: Toolset) -> Tool:
    """An SDK tool for `spec`. Its description and schema are rendered for this deployment; its hints
    name only the tools the calling request can see."""
    settings = toolset.settings

    async def handle(arguments: dict[str, Any], ctx: Context) -> dict[str, Any]:
        request_context = ctx.request_context
        app = cast(AppState, request_context.lifespan_context)
        caller = identify(request_context)
        try:
            enabled = toolset.visible(caller, request_headers(request_context))
        except ToolSelectionError:
            enabled = toolset.published  # ToolNarrowing refused the call already; this is defence in depth
        # The SDK's public progress call: a no-op unless the client sent a progressToken (list_calls reports).
        result = await run_tool(spec, app, caller, arguments, Guide(enabled), ctx.report_progress)
        return to_tool_result(result)

    output_schema = model_schema(spec.result, "serialization")
    return _RawArgumentsTool(
        fn=handle,
        name=spec.name,
        title=spec.title,
        description=spec.describe(Guide(toolset.published)),
        parameters=published_input_schema(spec.arguments_for(settings), settings),
        fn_metadata=FuncMetadata(arg_model=_NoArguments, output_schema=output_schema, output_model=spec.result),
        is_async=True,
        annotations=spec.annotations,
    )


def without_sdk_spans(server: MCPServer[Any]) -> None:
    """Take the SDK's OpenTelemetry middleware (a SERVER span per message, on by default) out of `server`'s
    chain, as the SDK documents for opting out; the rest of the chain keeps its order."""
    server.middleware[:] = [step for step in server.middleware if not isinstance(step, OpenTelemetryMiddleware)]


# Stateless HTTP, handshake era: a request answered in its own exchange (architecture.md §4, "Stateless HTTP").

_ANSWERED_IN_EXCHANGE = frozenset({"tools/list", "tools/call"})
_JSON = "application/json"
_log = logging.getLogger(__name__)

StatelessHandler: TypeAlias = Callable[[str | None, Scope, Receive, Send], Awaitable[None]]


def answer_requests_in_their_exchange(server: MCPServer[Any]) -> None:
    """Answer `tools/list` and `tools/call` POSTs of the handshake era in the request's own task, as the SDK
    answers a 2026-era request, instead of through a transport, memory streams and a task of their own per
    request: the same checks, the same kernel (`serve_one`) and the same bytes, for a fifth less CPU per
    call. Every other request (another method, a notification, anything the SDK would refuse) goes the SDK's
    way. Only for a stateless server with JSON responses, the one kind `transports.streamable_http` builds."""
    manager = server.session_manager
    if not (manager.stateless and manager.json_response):
        raise ValueError("only a stateless server with JSON responses answers requests in their exchange")
    sdk_way: StatelessHandler = manager._handle_stateless_request
    security = TransportSecurityMiddleware(manager.security_settings)

    async def handle(protocol_version: str | None, scope: Scope, receive: Receive, send: Send) -> None:
        request = Request(scope, receive)
        if request.method != "POST" or not _posts_json(request):
            await sdk_way(protocol_version, scope, receive, send)
            return
        refused = await security.validate_request(request, is_post=True)
        if refused is not None:
            await refused(scope, receive, send)
            return
        try:
            body = await request.body()
            message = _request_answered_here(body)
            version = protocol_version if protocol_version is not None else DEFAULT_NEGOTIATED_VERSION
            state = manager._lifespan_state
            answer = None if message is None else await _answer(server, state, request, message, version)
        except Exception:  # what the SDK's transport answers when handling a POST fails outside the handler
            _log.exception("Error handling POST request")
            await _failed_post()(scope, receive, send)
            return
        if answer is None:
            read: Message = {"type": "http.request", "body": body, "more_body": False}
            await sdk_way(protocol_version, scope, replaying([read], receive), send)
            return
        await Response(answer, status_code=200, headers={"Content-Type": _JSON})(scope, receive, send)

    manager._handle_stateless_request = handle  # type: ignore[method-assign, assignment]


def _failed_post() -> Response:
    """The SDK transport's answer to a POST whose handling failed outside the handler."""
    error = ErrorData(code=INTERNAL_ERROR, message="Error handling POST request")
    body = JSONRPCError(jsonrpc="2.0", id=None, error=error).model_dump_json(by_alias=True, exclude_unset=True)
    return Response(body, status_code=500, headers={"Content-Type": _JSON})


def _posts_json(request: Request) -> bool:
    """What the SDK's transport requires of a POST before reading it, in JSON-response mode: the client
    accepts JSON, and sends it."""
    content_type = request.headers.get("content-type", "")
    sent = any(part.strip() == _JSON for part in content_type.split(";")[0].split(","))
    return sent and check_accept_headers(request)[0]


def _request_answered_here(body: bytes) -> JSONRPCRequest | None:
    """The body's request if it is one answered here; None for whatever else (left to the SDK, which also
    answers what is wrong with it)."""
    try:
        message = jsonrpc_message_adapter.validate_python(from_json(body), by_name=False)
    except ValueError:  # not JSON, or not a JSON-RPC message (pydantic's ValidationError is a ValueError)
        return None
    if isinstance(message, JSONRPCRequest) and message.method in _ANSWERED_IN_EXCHANGE:
        return message
    return None


async def _answer(
    server: MCPServer[Any], lifespan_state: Any, request: Request, message: JSONRPCRequest, version: str
) -> str:
    """The JSON-RPC answer to `message`, as the SDK's stateless path writes it: a born-ready connection at the
    request's protocol version, no back channel, and its dispatcher's mapping of a handler's exception."""
    context = _SingleExchangeDispatchContext(  # the SDK's own, for its 2026-era exchange: no back channel
        transport=TransportContext(kind="streamable-http", can_send_request=False),
        request_id=message.id,
        message_metadata=ServerMessageMetadata(request_context=request, can_send_request=False),
    )
    connection = Connection.from_envelope(version, None, None)
    reply: JSONRPCResponse | JSONRPCError
    try:
        result = await serve_one(
            server._lowlevel_server, context, message.method, message.params,
            connection=connection, lifespan_state=lifespan_state,
        )
        reply = JSONRPCResponse(jsonrpc="2.0", id=message.id, result=result)
    except Exception as exc:
        error = handler_exception_to_error_data(exc)
        if error is None:  # the SDK's dispatcher answers these with code 0 and the exception's text
            _log.exception("handler for %r raised", message.method)
            error = ErrorData(code=0, message=str(exc))
        reply = JSONRPCError(jsonrpc="2.0", id=message.id, error=error)
    return reply.model_dump_json(by_alias=True, exclude_unset=True)


class ToolNarrowing:
    """Server middleware: each request lists only the tools its X-MCP-Tools / X-MCP-Readonly headers leave
    of the published set and its caller's scopes allow. A call to a tool the headers narrowed away is
    answered as for an unknown tool; a call the scopes do not allow reaches the tool, which answers a
    structured, audited Forbidden.Scope."""

    def __init__(
        self,
        toolset: Toolset,
        instructions: Callable[[frozenset[str]], str],
        after_first_listing: Callable[[], None] | None = None,
    ) -> None:
        self.toolset = toolset
        self.instructions = instructions
        self.specs = {spec.name: spec for spec in toolset.specs}
        # Runs once, when the first tools/list has been answered (before the answer is written: it must only
        # schedule work). The call path's models are built from there (`tools.warmup`, architecture.md §4).
        self._after_first_listing = after_first_listing

    async def __call__(self, ctx: ServerRequestContext[Any, Any], call_next: CallNext) -> HandlerResult:
        if ctx.method in ("initialize", "server/discover"):
            return await self._introduce(ctx, call_next)
        if ctx.method not in ("tools/list", "tools/call"):
            return await call_next(ctx)
        headers = request_headers(ctx)
        try:
            narrowed = narrow(self.toolset.published, headers)
        except ToolSelectionError as exc:  # a typo must not silently hide every tool
            raise MCPError(code=INVALID_PARAMS, message=str(exc)) from None
        if ctx.method == "tools/call":  # rights are the tool's to check: it answers a structured refusal
            name = (ctx.params or {}).get("name")
            if name not in narrowed:
                return CallToolResult(content=[TextContent(type="text", text=f"Unknown tool: {name}")], is_error=True)
            return await call_next(ctx)
        enabled = narrowed & self.toolset.allowed(identify(ctx))
        result = await call_next(ctx)
        if self._after_first_listing is not None:
            then, self._after_first_listing = self._after_first_listing, None
            then()
        return result if enabled == self.toolset.published else self._listing(result, enabled)

    async def _introduce(self, ctx: ServerRequestContext[Any, Any], call_next: CallNext) -> HandlerResult:
        """initialize / server/discover: the instructions name only this caller's tools."""
        result = await call_next(ctx)
        try:
            enabled = self.toolset.visible(identify(ctx), request_headers(ctx))
        except ToolSelectionError:
            return result  # tools/list will say what is wrong with the header
        return result if enabled == self.toolset.published else self._with_instructions(result, enabled)

    def _listing(self, result: HandlerResult, enabled: frozenset[str]) -> HandlerResult:
        """tools/list for this caller: only their tools, with descriptions that name only their tools."""
        guide = Guide(enabled)
        if isinstance(result, ListToolsResult):
            tools = [
                tool.model_copy(update={"description": self.specs[tool.name].describe(guide)})
                for tool in result.tools
                if tool.name in enabled
            ]
            return result.model_copy(update={"tools": tools})
        if isinstance(result, dict) and isinstance(result.get("tools"), list):  # the SDK may serialise first
            listed = [
                {**tool, "description": self.specs[tool["name"]].describe(guide)}
                for tool in result["tools"]
                if tool.get("name") in enabled
            ]
            return {**result, "tools": listed}
        raise TypeError(f"unexpected tools/list result {type(result).__name__}")  # pinned by test_adapter

    def _with_instructions(self, result: HandlerResult, enabled: frozenset[str]) -> HandlerResult:
        """An initialize / server/discover answer whose instructions name only this caller's tools."""
        text = self.instructions(enabled)
        if isinstance(result, dict) and "instructions" in result:
            return {**result, "instructions": text}
        if isinstance(result, BaseModel) and hasattr(result, "instructions"):
            return result.model_copy(update={"instructions": text})
        return result


# What the SDK's stdio transport does, for transports.stdio (architecture.md §1): pinned by test_adapter.

StdioItem: TypeAlias = SessionMessage | Exception
"""What the server's read stream carries: a message, or the exception a line that is not one raised.
`ReadStream` / `WriteStream` are the SDK's protocols for the streams its server loop takes."""


def stdio_read_channel() -> tuple[ContextSendStream[StdioItem], ContextReceiveStream[StdioItem]]:
    """A read-stream pair of the kind `mcp.server.stdio.stdio_server` hands the server: unbuffered (the
    reader waits until the server takes each message: that is the back-pressure on stdin), carrying the
    sender's context with each message."""
    return create_context_streams[StdioItem](0)


def decode_stdio_line(line: bytes) -> StdioItem:
    """One line of stdin as the SDK's stdio transport makes it a read-stream item: decoded as UTF-8 with
    invalid bytes replaced, then validated as a JSON-RPC message; a line that is not one becomes the
    exception, which the server's loop logs and skips."""
    text = line.decode("utf-8", errors="replace")
    try:
        message = jsonrpc_message_adapter.validate_json(text, by_name=False)
    except Exception as exc:
        return exc
    return SessionMessage(message)


def encode_stdio_message(session_message: SessionMessage) -> bytes:
    """One message as the SDK's stdio transport writes it (compact JSON, aliases, unset fields left out,
    non-ASCII as UTF-8), newline included. Serialised straight to bytes: the same bytes `model_dump_json`
    would give, without the round trip through str and back."""
    message = session_message.message
    encoded = message.__pydantic_serializer__.to_json(message, by_alias=True, exclude_unset=True)
    return encoded + b"\n"


async def serve_on_streams(
    server: MCPServer, read_stream: ReadStream[StdioItem], write_stream: WriteStream[SessionMessage]
) -> None:
    """Serve one connection on the given streams, as `MCPServer.run_stdio_async` does on the SDK's: the
    server's lifespan, then its loop until the read stream ends, in the protocol era the client's first
    request opens (`_serve_either_era`)."""
    lowlevel = server._lowlevel_server
    async with lowlevel.lifespan(lowlevel) as lifespan_state:
        await _serve_either_era(lowlevel, read_stream, write_stream, lifespan_state)


async def _serve_either_era(
    lowlevel: Any, read_stream: ReadStream[StdioItem], write_stream: WriteStream[SessionMessage], state: Any
) -> None:
    """The SDK's `serve_dual_era_loop` without its relay task. The SDK reads up to the client's first request
    to choose the era, then hands the chosen loop a stream that replays what it read and relays the rest
    through a task and a memory stream of its own: one more task switch for every message of the
    connection. Here the chosen loop reads a stream that replays what was read and then reads
    `read_stream` itself. Same era choice, frames, order and contexts (tests/mcpserver/test_adapter.py)."""
    try:
        lead, opening = await _read_to_first_request(read_stream)
        replayed = _Replaying(lead, read_stream)
        modern = opening is not None and opening.method != "initialize" and _has_modern_envelope(opening.params)
        if modern:
            await _serve_modern_stream(lowlevel, replayed, write_stream, lifespan_state=state, raise_exceptions=False)
        else:
            await _serve_legacy_stream(
                lowlevel, replayed, write_stream, lifespan_state=state, session_id=None,
                init_options=lowlevel.create_initialization_options(), raise_exceptions=False,
            )  # fmt: skip
    finally:
        try:
            await read_stream.aclose()
        finally:
            await write_stream.aclose()


_Framed: TypeAlias = tuple["contextvars.Context | None", StdioItem]


async def _read_to_first_request(read_stream: ReadStream[StdioItem]) -> tuple[list[_Framed], JSONRPCRequest | None]:
    """What the client sent up to and including its first request (None if the stream ends first), each
    frame with its sender's context; frames past the SDK's limit before a request are dropped, as it does."""
    lead: list[_Framed] = []
    opening: JSONRPCRequest | None = None
    try:
        async for item in read_stream:
            if isinstance(item, SessionMessage) and isinstance(item.message, JSONRPCRequest):
                opening = item.message
            elif len(lead) >= _PRE_REQUEST_REPLAY_LIMIT:
                _log.debug("dropped a frame received before the first request: %r", item)
                continue
            lead.append((getattr(read_stream, "last_context", None), item))
            if opening is not None:
                break
    except anyio.ClosedResourceError:
        _log.debug("read stream closed by transport; treating as EOF")
    return lead, opening


class ReadStreamBase:
    """What the SDK's `ReadStream` protocol asks beyond `receive` and `aclose`: iteration that ends with the
    stream, and use as an async context manager that closes it."""

    async def receive(self) -> StdioItem:
        raise NotImplementedError

    async def aclose(self) -> None:
        raise NotImplementedError

    def __aiter__(self) -> Self:
        return self

    async def __anext__(self) -> StdioItem:
        try:
            return await self.receive()
        except (anyio.EndOfStream, anyio.ClosedResourceError):
            raise StopAsyncIteration from None

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()


class _Replaying(ReadStreamBase):
    """A read stream: the frames already read, then `inner`'s own, each with its sender's context as
    `last_context` (what the SDK's loop runs a request's handler in)."""

    def __init__(self, lead: list[_Framed], inner: ReadStream[StdioItem]) -> None:
        self._lead = lead
        self._inner = inner
        self.last_context: contextvars.Context | None = None

    async def receive(self) -> StdioItem:
        if self._lead:
            self.last_context, item = self._lead.pop(0)
            return item
        item = await self._inner.receive()
        self.last_context = getattr(self._inner, "last_context", None)
        return item

    async def aclose(self) -> None:
        await self._inner.aclose()
