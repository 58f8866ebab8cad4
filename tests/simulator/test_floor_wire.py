"""A floor of 1,000 agents over the wire: every agent reachable page by page exactly once, the filters a
supervisor uses, PollUserStatus of a consult call, and the admin API's head count of the live state."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from typing import Any

import httpx
import pytest

from ccc_mcp.simulator import (
    FLOOR_INSTANCE_ID,
    Simulator,
    census,
    default_scenario,
    expected_census,
    floor_mix,
    running_simulator,
    with_floor,
)
from ccc_mcp.simulator.centre import Agent

from .helpers import call, call_form

AGENTS = 1000
MIX = floor_mix(AGENTS)


@pytest.fixture
async def floor_sim() -> AsyncIterator[Simulator]:
    async with running_simulator(scenario=with_floor(default_scenario(), AGENTS), admin=True) as sim:
        yield sim


async def page(
    http: httpx.AsyncClient, sim: Simulator, number: int, size: int = 100, form: dict[str, str] | None = None,
    **query: str,
) -> dict[str, Any]:
    params = {"InstanceId": FLOOR_INSTANCE_ID, "PageNumber": str(number), "PageSize": str(size), **query}
    response = await call_form(http, sim, "ListRealtimeAgentStates", params, form or {})
    assert response.status_code == 200, response.text
    data: dict[str, Any] = response.json()["Data"]
    return data


async def test_ten_pages_of_a_hundred_list_every_agent_once(floor_sim: Simulator, client: httpx.AsyncClient) -> None:
    seen: list[str] = []
    for number in range(1, 11):
        data = await page(client, floor_sim, number)
        assert (data["TotalCount"], data["PageNumber"], len(data["List"])) == (AGENTS, number, 100)
        seen += [row["AgentId"] for row in data["List"]]
    assert len(set(seen)) == AGENTS
    assert (await page(client, floor_sim, 11))["List"] == []


FILTERS = [  # form body, query, who should match (worked out from the state directly), how many
    ({"StateList": '["Talking"]'}, {}, lambda a: a.state == "TALKING", MIX.talking),
    ({"StateList": '["Break", "ACW"]'}, {}, lambda a: a.state in ("BREAK", "WORKING"),
     MIX.on_break + MIX.after_call_work),
    ({}, {"SkillGroupId": "vip@ccc-floor"}, lambda a: "vip@ccc-floor" in a.skill_groups, (AGENTS + 7) // 8),
    ({}, {"Query": "Wang"}, lambda a: a.display_name.startswith("Wang "), AGENTS // 10),
    ({"StateList": '["Talking"]'}, {"SkillGroupId": "vip@ccc-floor", "Query": "wang"},
     lambda a: a.state == "TALKING" and "vip@ccc-floor" in a.skill_groups and a.display_name.startswith("Wang "),
     None),
]


@pytest.mark.parametrize(("form", "query", "keep", "total"), FILTERS)
async def test_the_filters_over_a_floor(
    floor_sim: Simulator, client: httpx.AsyncClient, form: dict[str, str], query: dict[str, str],
    keep: Callable[[Agent], bool], total: int | None,
) -> None:
    data = await page(client, floor_sim, 1, form=form, **query)
    expected = [a.user_id for a in floor_sim.state.instances[FLOOR_INSTANCE_ID].agents.values() if keep(a)]
    assert data["TotalCount"] == len(expected)
    if total is not None:
        assert data["TotalCount"] == total
    assert [row["AgentId"] for row in data["List"]] == expected[:100]


async def test_a_page_row_of_a_consulting_agent(floor_sim: Simulator, client: httpx.AsyncClient) -> None:
    instance = floor_sim.state.instances[FLOOR_INSTANCE_ID]
    first = next(a for a in instance.agents.values() if a.state_code == "Consulting")
    rows = (await page(client, floor_sim, 1, form={"AgentIdList": f'["{first.user_id}", "{first.counter_party}"]'}))
    consulting, consulted = sorted(rows["List"], key=lambda row: row["StateCode"], reverse=True)
    assert (consulting["State"], consulting["StateCode"], consulting["CounterParty"]) == (
        "Talking", "Consulting", first.counter_party)
    assert (consulted["StateCode"], consulted["CounterParty"], consulted["CallType"]) == (
        "Consulted", first.user_id, "Inbound")


async def test_polling_either_consult_agent_gives_the_same_three_party_call(
    floor_sim: Simulator, client: httpx.AsyncClient
) -> None:
    instance = floor_sim.state.instances[FLOOR_INSTANCE_ID]
    first = next(a for a in instance.agents.values() if a.state_code == "Consulting")
    answers = []
    for user in (first.user_id, first.counter_party):
        response = await call(client, floor_sim, "PollUserStatus", {"InstanceId": FLOOR_INSTANCE_ID, "UserId": user})
        answers.append(response.json()["Data"])
    assert answers[0]["CallContext"] == answers[1]["CallContext"]
    channels = answers[0]["CallContext"]["ChannelContexts"]
    assert [ch.get("UserId") for ch in channels] == [None, first.user_id, first.counter_party]
    assert channels[0]["ChannelFlags"] == "[HOLD]"
    assert answers[0]["UserContext"]["JobId"] == first.job_id


async def test_the_admin_summary_counts_the_live_state(floor_sim: Simulator, client: httpx.AsyncClient) -> None:
    admin = f"{floor_sim.endpoint}/_admin/summary"
    summary = (await client.get(admin)).json()
    assert summary[FLOOR_INSTANCE_ID] == expected_census(MIX, FLOOR_INSTANCE_ID)
    assert summary["ccc-demo"]["muted_agents"] == 2  # agent@ and cti-fail@ of the default cast
    instance = floor_sim.state.instances[FLOOR_INSTANCE_ID]
    muted = next(a for a in instance.agents.values() if a.job_id and instance.calls[a.job_id].channel_of(a.user_id).muted)  # type: ignore[union-attr]
    response = await call(client, floor_sim, "UnmuteCall", {"InstanceId": FLOOR_INSTANCE_ID, "UserId": muted.user_id})
    assert response.status_code == 200
    after = (await client.get(admin)).json()[FLOOR_INSTANCE_ID]
    assert after["muted_agents"] == MIX.muted - 1
    assert after == census(instance)


async def test_the_admin_state_shows_the_floor(floor_sim: Simulator, client: httpx.AsyncClient) -> None:
    state = (await client.get(f"{floor_sim.endpoint}/_admin/state")).json()
    floor = next(i for i in state["instances"] if i["instance_id"] == FLOOR_INSTANCE_ID)
    assert (len(floor["agents"]), len(floor["calls"])) == (AGENTS, MIX.live_calls)
    scenario = (await client.get(f"{floor_sim.endpoint}/_admin/scenario")).json()
    assert scenario["instances"][1] == {"instance_id": FLOOR_INSTANCE_ID, "skill_groups": [], "agents": [],
                                        "calls": [], "floor": {"agents": AGENTS, "seed": 0}}  # fmt: skip
