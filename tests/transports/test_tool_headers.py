"""Over HTTP a client may narrow — never widen — the published tools per request, with the X-MCP-Tools and
X-MCP-Readonly headers (as github-mcp-server does): the listing, the calls and the hints all follow."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from mcp.shared.exceptions import MCPError

from tests.fakes import FakeCcc, ccc_error

ARGS = {"instance_id": "ccc-test", "user_id": "agent@ccc-test"}


async def _names(running: Any, headers: dict[str, str], mode: str = "auto") -> list[str]:
    async with running.client(headers=headers, mode=mode) as client:
        return [tool.name for tool in (await client.list_tools()).tools]


@pytest.mark.parametrize("mode", ["auto", "legacy"])
async def test_headers_narrow_the_listing(http_server: Callable[..., Any], mode: str) -> None:
    async with http_server() as running:
        assert len(await _names(running, {}, mode)) == 7
        assert await _names(running, {"X-MCP-Tools": "get_agent_status, unmute_call"}, mode) == [
            "get_agent_status", "unmute_call"
        ]
        assert await _names(running, {"X-MCP-Readonly": "true"}, mode) == ["list_agents", "list_calls", "get_agent_status"]
        assert await _names(running, {"X-MCP-Tools": "unmute_call", "X-MCP-Readonly": "1"}, mode) == []


async def test_headers_never_widen_the_published_set(
    http_server: Callable[..., Any], fake_ccc: FakeCcc, protocol_mode: str
) -> None:
    """Neither the listing nor the hints: a hint naming a tool the header asked for but the server does not
    publish would send the model to a tool that is not there. Both eras on purpose: the handshake era's
    listings and calls take the exchange fast path, the 2026 era's the SDK's own."""
    widen = {"X-MCP-Tools": "get_agent_status,unmute_call"}
    fake_ccc.answer(ccc_error(400, "InvalidOperation.UserState", "m", ["READY", "TALKING"]))
    async with http_server(tools="unmute_call") as running:
        assert await _names(running, widen, protocol_mode) == ["unmute_call"]
        async with running.client(headers=widen, mode=protocol_mode) as client:
            result = await client.call_tool("unmute_call", ARGS)
            refused = await client.call_tool("get_agent_status", {"instance_id": "ccc-test", "user_id": "a@ccc-test"})
    assert "get_agent_status" not in result.structured_content["error"]["hint"]  # type: ignore[index]
    assert refused.is_error, "a header cannot publish a tool the server does not"
    assert [seen.action for seen in fake_ccc.seen] == ["UnmuteCall"]


async def test_a_narrowed_away_tool_cannot_be_called(
    http_server: Callable[..., Any], fake_ccc: FakeCcc, protocol_mode: str
) -> None:
    async with http_server() as running, running.client(headers={"X-MCP-Readonly": "true"}, mode=protocol_mode) as client:
        result = await client.call_tool("unmute_call", ARGS)
    assert result.is_error
    assert "Unknown tool" in result.content[0].text  # type: ignore[union-attr]
    assert fake_ccc.seen == []


async def test_an_unknown_name_in_the_header_is_refused(http_server: Callable[..., Any]) -> None:
    async with http_server() as running, running.client(headers={"X-MCP-Tools": "unmute"}) as client:
        with pytest.raises(MCPError) as caught:
            await client.list_tools()
    assert "unmute" in str(caught.value)
    assert "list_agents" in str(caught.value)


async def test_hints_follow_the_narrowed_set(http_server: Callable[..., Any], fake_ccc: FakeCcc) -> None:
    hints = []
    async with http_server() as running:
        for headers in ({}, {"X-MCP-Tools": "unmute_call"}):
            fake_ccc.answer(ccc_error(400, "InvalidOperation.UserState", "m", ["READY", "TALKING"]))
            async with running.client(headers=headers) as client:
                result = await client.call_tool("unmute_call", ARGS)
            hints.append(result.structured_content["error"]["hint"])  # type: ignore[index]
    assert "get_agent_status" in hints[0]
    assert "get_agent_status" not in hints[1]


async def test_descriptions_follow_the_narrowed_set(http_server: Callable[..., Any]) -> None:
    async with http_server() as running, running.client(headers={"X-MCP-Tools": "hold_call"}) as client:
        [tool] = (await client.list_tools()).tools
    for other in ("retrieve_call", "list_agents", "get_agent_status"):
        assert other not in (tool.description or "")
