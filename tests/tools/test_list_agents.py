"""`list_agents` against the simulator's default scenario: what a query finds (CCC's own search, then the
user id or login name), what an empty answer says it searched, and where paging ends."""

from __future__ import annotations

import logging
from typing import Any

import pytest

from tests.simulated import against_the_simulator


async def _list(caplog: pytest.LogCaptureFixture | None = None, **arguments: Any) -> dict[str, Any]:
    async with against_the_simulator() as (client, _):
        result = await client.call_tool("list_agents", arguments)
    out: dict[str, Any] = result.structured_content or {}
    assert out["ok"] is True, out
    return out


@pytest.mark.parametrize("query", ["idle", "idle@ccc-demo", "Li Na", "8002"])
async def test_a_query_finds_an_agent_by_name_extension_login_or_user_id(query: str) -> None:
    out = await _list(query=query)
    assert [agent["user_id"] for agent in out["agents"]] == ["idle@ccc-demo"]
    assert "note" not in out


async def test_a_login_name_costs_two_more_requests_only_when_ccc_finds_nothing(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO, logger="ccc_mcp.simulator.requests")
    await _list(query="8002")
    await _list(query="idle")
    actions = [r.getMessage().split()[0] for r in caplog.records if r.name == "ccc_mcp.simulator.requests"]
    assert actions == ["ListRealtimeAgentStates", "ListRealtimeAgentStates", "ListUsers", "ListRealtimeAgentStates"]


async def test_an_empty_answer_says_what_was_searched() -> None:
    out = await _list(query="nobody-at-all", states=["BREAK"])
    assert out["agents"] == []
    assert out["total"] == 0
    assert out["note"] == (
        'No agent\'s display name, employee number, extension, login name or user id contains "nobody-at-all" '
        "in states BREAK."
    )


@pytest.mark.parametrize(("size", "pages"), [(2, 3), (3, 2), (6, 1), (4, 2)])
async def test_the_last_page_has_no_next_page_even_when_the_total_is_a_multiple_of_the_size(
    size: int, pages: int
) -> None:
    """Six agents in the default scenario: the last page is the last, whether or not it is full."""
    seen: list[str] = []
    for page in range(1, pages + 1):
        out = await _list(page=page, page_size=size)
        seen += [agent["user_id"] for agent in out["agents"]]
        assert out.get("next_page") == (page + 1 if page < pages else None), (page, out)
    assert len(seen) == len(set(seen)) == 6
