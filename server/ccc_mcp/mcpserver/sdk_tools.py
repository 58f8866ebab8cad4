"""`ToolSpec`s as MCP SDK tools, and the tools each caller may see (architecture.md §2).

Public SDK API only, pinned by tests/mcpserver/test_sdk_pins.py so an SDK upgrade that changes it fails there
first: `mcp.server.mcpserver.tools.Tool` can be built directly with a hand-made `parameters` schema and a
`FuncMetadata` whose `output_schema` is published, and its `run` can be overridden: our handler receives the
caller's raw arguments and validates them itself, so bad input is a structured result instead of the SDK's
raw pydantic text; the handler may return the `CallToolResult` as a mapping in its wire form (camelCase
keys, `resultType` included), which the SDK validates against the protocol version's result shape and sends.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, cast

from mcp.server.mcpserver import Context
from mcp.server.mcpserver.tools import Tool
from mcp.server.mcpserver.utilities.func_metadata import ArgModelBase, FuncMetadata
from pydantic_core import to_json

from ccc_mcp.config.settings import Settings
from ccc_mcp.policy.identity import Caller, identify
from ccc_mcp.policy.rights import Access, allowed
from ccc_mcp.tools.base import AppState, ToolSpec, run_tool
from ccc_mcp.tools.guidance import Guide
from ccc_mcp.tools.registry import READ_ONLY_HEADER, TOOLS_HEADER, ToolSelectionError, narrow
from ccc_mcp.tools.results import ToolResult
from ccc_mcp.tools.schema import model_schema, published_input_schema

__all__ = ["Toolset", "build_mcp_tool", "request_headers", "to_tool_result"]


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
