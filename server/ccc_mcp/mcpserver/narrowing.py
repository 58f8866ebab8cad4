"""Per-request narrowing of the published tools (architecture.md §2): server middleware, the SDK's public
(provisional in mcp 2.x) `MCPServer.middleware` chain, pinned by tests/mcpserver/test_sdk_pins.py: it sees
every request with `ctx.method`, the raw `ctx.params` and `ctx.request` (the Starlette request on HTTP,
None on stdio), and may replace the result."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from mcp.server.context import CallNext, HandlerResult, ServerRequestContext
from mcp.shared.exceptions import MCPError
from mcp_types import INVALID_PARAMS, CallToolResult, ListToolsResult, TextContent
from pydantic import BaseModel

from ccc_mcp.mcpserver.sdk_tools import Toolset, request_headers
from ccc_mcp.policy.identity import identify
from ccc_mcp.tools.guidance import Guide
from ccc_mcp.tools.registry import ToolSelectionError, narrow

__all__ = ["ToolNarrowing"]


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
        raise TypeError(f"unexpected tools/list result {type(result).__name__}")  # pinned by test_sdk_pins

    def _with_instructions(self, result: HandlerResult, enabled: frozenset[str]) -> HandlerResult:
        """An initialize / server/discover answer whose instructions name only this caller's tools."""
        text = self.instructions(enabled)
        if isinstance(result, dict) and "instructions" in result:
            return {**result, "instructions": text}
        if isinstance(result, BaseModel) and hasattr(result, "instructions"):
            return result.model_copy(update={"instructions": text})
        return result
