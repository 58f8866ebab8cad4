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
- for `transports.stdio`, what the SDK's stdio transport does that ours mirrors: the stream pair it hands
  the server (context-aware memory streams, unbuffered), how it turns a line of stdin into a read-stream
  item (UTF-8 with invalid bytes replaced; a line that is not a JSON-RPC message becomes the validation
  exception itself), how it writes a message (one compact JSON line, aliases, unset fields left out), and
  how `MCPServer.run_stdio_async` runs the server on that pair.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, TypeAlias, cast

from mcp.server._otel import OpenTelemetryMiddleware
from mcp.server.context import CallNext, HandlerResult, ServerRequestContext
from mcp.server.mcpserver import Context, MCPServer
from mcp.server.mcpserver.tools import Tool
from mcp.server.mcpserver.utilities.func_metadata import ArgModelBase, FuncMetadata
from mcp.shared._context_streams import ContextReceiveStream, ContextSendStream, create_context_streams
from mcp.shared._stream_protocols import ReadStream, WriteStream
from mcp.shared.exceptions import MCPError
from mcp.shared.message import SessionMessage
from mcp_types import INVALID_PARAMS, CallToolResult, ListToolsResult, TextContent, jsonrpc_message_adapter
from pydantic import BaseModel
from pydantic_core import to_json

from ccc_mcp.config.settings import Settings
from ccc_mcp.policy.identity import Caller, identify
from ccc_mcp.policy.rights import Access, allowed
from ccc_mcp.tools.base import AppState, ToolSpec, run_tool
from ccc_mcp.tools.guidance import Guide
from ccc_mcp.tools.registry import READ_ONLY_HEADER, TOOLS_HEADER, ToolSelectionError, narrow
from ccc_mcp.tools.results import ToolResult
from ccc_mcp.tools.schema import model_schema, published_input_schema

__all__ = [
    "ReadStream",
    "StdioItem",
    "ToolNarrowing",
    "Toolset",
    "WriteStream",
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
    structured = result.model_dump(mode="json")
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
        result = await run_tool(spec, app, caller, arguments, Guide(enabled))
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
    server's lifespan, then its loop until the read stream ends."""
    lowlevel = server._lowlevel_server
    await lowlevel.run(read_stream, write_stream, lowlevel.create_initialization_options())
