"""Every tool the server has, and which of them a deployment (and a request) publishes.

Adding a tool is one module under `tools/` declaring a `ToolSpec`, plus one line in `TOOLS` below.
The order of `TOOLS` is the order of `tools/list`: find, look (the whole floor, then one agent), then act.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from ccc_mcp.tools.base import ToolSpec
from ccc_mcp.tools.get_agent_status import GET_AGENT_STATUS
from ccc_mcp.tools.hold_call import HOLD_CALL
from ccc_mcp.tools.list_agents import LIST_AGENTS
from ccc_mcp.tools.list_calls import LIST_CALLS
from ccc_mcp.tools.mute_call import MUTE_CALL
from ccc_mcp.tools.retrieve_call import RETRIEVE_CALL
from ccc_mcp.tools.unmute_call import UNMUTE_CALL

__all__ = ["READ_ONLY_HEADER", "TOOLS", "TOOLS_HEADER", "ToolSelectionError", "narrow", "select_tools", "tool_names"]

TOOLS: tuple[ToolSpec[Any], ...] = (
    LIST_AGENTS,
    LIST_CALLS,
    GET_AGENT_STATUS,
    UNMUTE_CALL,
    MUTE_CALL,
    HOLD_CALL,
    RETRIEVE_CALL,
)

TOOLS_HEADER = "x-mcp-tools"
READ_ONLY_HEADER = "x-mcp-readonly"
_TRUE = frozenset({"1", "true", "yes", "on"})


class ToolSelectionError(ValueError):
    """A selection that names unknown tools, or leaves none; the message lists the valid names."""


def tool_names() -> list[str]:
    return [spec.name for spec in TOOLS]


def _check_names(names: Iterable[str], where: str) -> None:
    unknown = sorted(set(names) - set(tool_names()))
    if unknown:
        raise ToolSelectionError(
            f"{where} names unknown tools: {', '.join(unknown)}. Valid names: {', '.join(tool_names())}."
        )


def select_tools(names: frozenset[str], read_only: bool) -> tuple[ToolSpec[Any], ...]:
    """The tools a deployment publishes: those named (all when none are), only read-only ones if asked."""
    _check_names(names, "The tool selection")
    chosen = tuple(spec for spec in TOOLS if (not names or spec.name in names) and (spec.read_only or not read_only))
    if not chosen:
        raise ToolSelectionError(
            "The tool selection leaves no tool to publish: read-only mode keeps only tools that change nothing "
            f"({', '.join(spec.name for spec in TOOLS if spec.read_only)})."
        )
    return chosen


def narrow(published: frozenset[str], headers: Mapping[str, str] | None) -> frozenset[str]:
    """What one HTTP request may see: the published tools, narrowed (never widened) by its X-MCP-Tools and
    X-MCP-Readonly headers. Unknown names in the header are an error, so a typo cannot hide every tool."""
    if not headers:
        return published
    enabled = published
    listed = headers.get(TOOLS_HEADER)
    if listed is not None:
        names = {part.strip() for part in listed.split(",") if part.strip()}
        _check_names(names, "The X-MCP-Tools header")
        enabled = enabled & frozenset(names)
    if (headers.get(READ_ONLY_HEADER) or "").strip().lower() in _TRUE:
        enabled = enabled & frozenset(spec.name for spec in TOOLS if spec.read_only)
    return enabled
