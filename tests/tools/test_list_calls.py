"""`list_calls` against a generated floor of the simulator (`with_floor`): the whole floor in one tool call,
one list page per page of agents on a call and one PollUserStatus per live call — never two for one call —
within the fan-out's bounds, and every partial answer saying why. What the simulator counted on its wire
(`sim.stats`) is the proof; its census of the live state is the truth the answer is checked against."""

from __future__ import annotations

import json
import math
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx2
import pytest
from mcp import Client
from mcp.client.streamable_http import streamable_http_client

from ccc_mcp.api.credentials import StaticCredentials
from ccc_mcp.api.signing import SigningKey
from ccc_mcp.config.settings import load_settings
from ccc_mcp.net.asgi import bind_socket, hosted
from ccc_mcp.simulator import Simulator, running_simulator
from ccc_mcp.simulator.demo_cast import default_scenario, with_floor
from ccc_mcp.simulator.floor import FLOOR_INSTANCE_ID, floor_mix
from ccc_mcp.transports.streamable_http import build_http_app
from tests.answer_rules import assert_clean
from tests.simulated import against_the_simulator

FLOOR = 200
MIX = floor_mix(FLOOR)
ON_CALLS = MIX.talking + MIX.ringing + MIX.dialing  # 130 agents on 126 live calls at 200
FLOOR_ARGS = {"instance_id": FLOOR_INSTANCE_ID}


@asynccontextmanager
async def floor(
    size: int = FLOOR, faults: Any = (), mode: str = "auto", **settings: Any
) -> AsyncIterator[tuple[Client, Simulator]]:
    """A server in memory against a simulator with a generated floor of `size` agents; the fan-out is not
    paced (the pace has tests of its own) unless `settings` say otherwise."""
    settings.setdefault("fanout_rate", 10_000)
    async with against_the_simulator(with_floor(default_scenario(), size), mode=mode, faults=faults, **settings) as (
        client,
        sim,
    ):
        sim.stats.clear()
        yield client, sim


async def list_calls(client: Client, progress: Callable[..., Any] | None = None, **arguments: Any) -> dict[str, Any]:
    result = await client.call_tool("list_calls", {**FLOOR_ARGS, **arguments}, progress_callback=progress)
    out: dict[str, Any] = result.structured_content or {}
    assert result.is_error == (not out["ok"]), out
    assert_clean(out)
    return out


def polls(sim: Simulator) -> int:
    return sim.stats.actions["PollUserStatus"]


# --- the floor in one call ----------------------------------------------------------------------------------


async def test_who_is_muted_is_one_call_with_one_poll_per_live_call() -> None:
    async with floor() as (client, sim):
        out = await list_calls(client, flags=["MUTED"], limit=100)
    muted = {ch["user_id"] for call in out["calls"] for ch in call["channel_contexts"] if "MUTED" in ch["flags"]}
    assert len(muted) == MIX.muted, "every muted agent of the floor"
    assert (out["agents"], out["found"], out["matched"]) == (ON_CALLS, MIX.live_calls, len(out["calls"]))
    assert "partial" not in out
    assert sim.stats.actions["ListRealtimeAgentStates"] == math.ceil(ON_CALLS / 100), "one list page per page"
    assert polls(sim) == MIX.live_calls, "one poll per live call: a consult call's second agent is skipped"
    assert set(sim.stats.polls_by_job.values()) == {1}, "never two polls for one call"
    assert len(sim.stats.polls_by_job) == MIX.live_calls


async def test_each_call_names_its_parties_with_the_agents_names() -> None:
    async with floor() as (client, _):
        out = await list_calls(client, min_parties=3)
    assert out["matched"] == MIX.consult_calls
    for call in out["calls"]:
        customer, *agents = call["channel_contexts"]
        assert (customer["party"], "HOLD" in customer["flags"]) == ("external", True), "the consulting agent's hold"
        assert [agent["party"] for agent in agents] == ["agent", "agent"]
        assert all(agent["name"] and "subject" not in agent for agent in agents), "names known, nobody asked about"


@pytest.mark.parametrize(
    ("arguments", "expected"),
    [
        ({"flags": ["HOLD"]}, MIX.held_only + MIX.muted_and_held + MIX.consult_calls),
        ({"flags": ["MUTED", "HOLD"]}, MIX.muted_only + MIX.held_only + MIX.muted_and_held + MIX.consult_calls),
        ({"min_parties": 3}, MIX.consult_calls),
        ({"min_parties": 2}, MIX.live_calls),
        ({}, MIX.live_calls),
    ],
)
async def test_filters_keep_the_calls_that_match(arguments: dict[str, Any], expected: int) -> None:
    async with floor() as (client, _):
        out = await list_calls(client, **arguments)
    assert out["matched"] == expected
    assert len(out["calls"]) == min(expected, 20), "twenty calls by default"


async def test_agent_filters_narrow_the_agents_read() -> None:
    """skill_group_id and query choose the agents (as list_agents does); fewer agents, fewer polls."""
    async with floor() as (client, sim):
        vip = await list_calls(client, skill_group_id=f"vip@{FLOOR_INSTANCE_ID}", limit=100)
        vip_polls = polls(sim)
        wangs = await list_calls(client, query="Wang", limit=100)
    assert 0 < vip["agents"] < ON_CALLS
    assert vip_polls <= vip["agents"]
    names = {ch["name"] for call in wangs["calls"] for ch in call["channel_contexts"] if ch["party"] == "agent"}
    assert any(name.startswith("Wang ") for name in names)


async def test_pages_follow_the_cursor_with_nothing_twice() -> None:
    async with floor() as (client, _):
        seen: list[str] = []
        cursor: dict[str, str] = {}
        while True:
            out = await list_calls(client, limit=50, **cursor)
            seen += [call["job_id"] for call in out["calls"]]
            if "next_cursor" not in out:
                break
            cursor = {"cursor": out["next_cursor"]}
    assert len(seen) == len(set(seen)) == MIX.live_calls
    assert seen == sorted(seen)


# --- bounds --------------------------------------------------------------------------------------------------


async def test_a_floor_beyond_the_cap_is_read_up_to_it_and_says_so() -> None:
    async with floor(floor_max=60) as (client, sim):
        out = await list_calls(client)
    assert out["agents"] == 60
    assert out["partial"] == (
        f"{ON_CALLS} agents are on a call; one answer reads at most 60: narrow it with skill_group_id or query"
    )
    assert sim.stats.actions["ListRealtimeAgentStates"] == 1
    assert polls(sim) <= 60


async def test_no_more_than_the_in_flight_bound_is_ever_sent_at_once() -> None:
    """The simulator holds each poll 20 ms: with a bound of 3, at most 3 are ever in its hands together."""
    latency = [{"kind": "latency", "action": "PollUserStatus", "ms": 20}]
    async with floor(50, faults=latency, fanout=3) as (client, sim):
        out = await list_calls(client)
    assert out["found"] == floor_mix(50).live_calls
    assert sim.stats.most_in_flight["PollUserStatus"] == 3


async def test_a_throttled_floor_slows_down_together_and_is_read_within_the_bound() -> None:
    """CCC takes 40 polls a second here (a token bucket on the simulator's clock): the fan-out is told off,
    pauses and slows down for every worker, retries at its pace, and still reads the whole floor; the
    requests CCC refused stay few (no storm), and no agent is tried more than CCC_MAX_ATTEMPTS times."""
    rule = [{"kind": "throttle", "action": "PollUserStatus", "rate": 40, "burst": 10, "status": 400}]
    size = 50
    async with floor(size, faults=rule, fanout_rate=80) as (client, sim):
        out = await list_calls(client)
    calls = floor_mix(size).live_calls
    refused = sim.stats.action_outcomes["PollUserStatus"]["fault:throttle"]
    assert out["found"] == calls, out.get("partial")
    assert polls(sim) == calls + refused
    assert refused <= 12, f"{refused} requests were throttled: the fan-out did not slow down"
    assert max(sim.stats.polls_by_user.values()) <= 3


async def test_a_throttling_answer_holds_back_the_requests_waiting_for_their_moment() -> None:
    """Paced at 10 a second, the fan-out's other polls wait for their moments, 100 ms apart, when the first is
    refused with CCC's wait of 30 s: none of them goes out during that pause (it outlasts the deadline, so the
    call stops with what it has and says why). Only a poll sent within the refusal's round trip could."""
    rule = [{"kind": "throttle", "action": "PollUserStatus", "times": 1, "retry_after": 30}]
    async with floor(50, faults=rule, fanout_rate=10) as (client, sim):
        out = await list_calls(client)
    assert out["partial"].startswith("CCC is throttling this server: its requests wait 30 s more"), out["partial"]
    assert polls(sim) <= 2, f"{polls(sim)} polls: requests waiting for their moment went out during the pause"


async def test_the_deadline_ends_the_fan_out_with_what_was_read() -> None:
    """Paced at 20 requests a second within a 1 s deadline, the call stops sending 0.25 s before it: at most
    16 requests (one every 50 ms from the start), counted, never more however slow the machine; the answer
    holds what was read and says why it is partial."""
    async with floor(50, fanout_rate=20, deadline=1.0) as (client, sim):
        out = await list_calls(client)
    assert out["partial"].startswith("the call's deadline came before every agent was read; ")
    assert out["partial"].endswith(f" of {out['agents']} agents were not read")
    assert sim.stats.received <= 16
    assert out["found"] == sim.stats.received - 1, "every poll sent found a call; the first request listed"


async def test_a_failed_read_is_listed_with_its_reason_and_nothing_is_dropped() -> None:
    refusal = [{"kind": "error", "action": "PollUserStatus", "times": 2, "status": 403, "code": "Forbidden.RAM",
                "style": "gateway"}]
    async with floor(faults=refusal) as (client, _):
        out = await list_calls(client, limit=100)
    assert len(out["unread"]) == 2
    assert all(reason.startswith("Forbidden.RAM: ") for reason in out["unread"].values())
    assert out["partial"] == "2 agents' status could not be read (see unread)"
    assert out["found"] >= MIX.live_calls - 2


# --- progress -----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("mode", ["auto", "legacy"], ids=["modern", "legacy"])
async def test_progress_is_reported_to_a_client_that_asks_for_it(mode: str) -> None:
    reports: list[tuple[float, float | None, str | None]] = []

    async def progress(done: float, total: float | None, message: str | None) -> None:
        reports.append((done, total, message))

    async with floor(50, mode=mode) as (client, _):
        await list_calls(client, progress=progress)
        without = await list_calls(client)
    agents = floor_mix(50).talking + floor_mix(50).ringing + floor_mix(50).dialing
    assert reports, "progress notifications arrive"
    assert reports[-1][:2] == (agents, agents)
    assert [done for done, _, _ in reports] == sorted(done for done, _, _ in reports)
    assert without["ok"]


# --- bad input -----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("arguments", "argument"),
    [
        ({"flags": ["MUTE"]}, "flags.0"),
        ({"flags": []}, "flags"),
        ({"flags": "MUTED"}, "flags"),
        ({"min_parties": -1}, "min_parties"),
        ({"min_parties": 0}, "min_parties"),
        ({"limit": 0}, "limit"),
        ({"limit": 101}, "limit"),
        ({"limit": "20"}, "limit"),
        ({"query": "x" * 257}, "query"),
        ({"cursor": "job\n1"}, "cursor"),
        ({"page": 2}, "page"),
    ],
)
async def test_bad_input_is_refused_before_any_request(arguments: dict[str, Any], argument: str) -> None:
    async with floor(50) as (client, sim):
        out = await list_calls(client, **arguments)
    assert out["error"]["code"] == "Parameter.Invalid"
    assert out["error"]["params"] == [argument]
    assert sim.stats.received == 0


# --- over HTTP: the caller's share, and the audit -----------------------------------------------------------


@asynccontextmanager
async def http_floor(size: int, **settings: Any) -> AsyncIterator[tuple[Client, Simulator]]:
    """The HTTP app on a loopback port, against a simulator with a floor; a client of it (handshake era)."""
    async with running_simulator(port=0, scenario=with_floor(default_scenario(), size)) as sim:
        values = {"endpoint": sim.endpoint, "instance_id": "ccc-demo", "fanout_rate": 10_000, **settings}
        key = StaticCredentials(SigningKey(sim.access_key_id, sim.access_key_secret))
        app = build_http_app(load_settings(**values), key)
        async with (
            hosted(app, bind_socket("127.0.0.1", 0), lifespan="on", name="list_calls") as (host, port),
            httpx2.AsyncClient(timeout=30) as http,
            Client(streamable_http_client(f"http://{host}:{port}/mcp", http_client=http), mode="legacy") as client,
        ):
            sim.stats.clear()
            yield client, sim


async def test_each_request_counts_against_the_callers_share(tmp_path: Path) -> None:
    """A list_calls is charged one place of the caller's rate limit per CCC request: with a burst of 12, one
    call reads 12 requests' worth of the floor, says why it stopped, and the audit line counts them."""
    audit = tmp_path / "audit.jsonl"
    async with http_floor(50, rate_limit=600, rate_burst=12, audit_log=str(audit)) as (client, sim):
        out = await list_calls(client)
        again = await client.call_tool("list_calls", FLOOR_ARGS)
    assert sim.stats.received == 12, "the tool call's own place and eleven more"
    assert out["partial"].startswith("this client's share of CCC requests is used up for now: wait ")
    assert out["agents"] == floor_mix(50).talking + floor_mix(50).ringing + floor_mix(50).dialing
    assert again.is_error
    assert again.structured_content["error"]["code"] == "Throttling"  # type: ignore[index]
    [first, *_] = [json.loads(line) for line in audit.read_text().splitlines()]
    assert (first["tool"], first["requests"], first["outcome"]) == ("list_calls", 12, "OK")
