"""Live time: channel timestamps move when channels change, heartbeats advance with the clock, each
agent's state has a start time; and a fixed clock gives byte-for-byte identical answers."""

from __future__ import annotations

import time
from typing import Any

import httpx
import pytest

from ccc_mcp.simulator import FixedClock, Simulator, running_simulator, wall_clock
from ccc_mcp.simulator.clock import last_heartbeat
from ccc_mcp.simulator.contexts import user_context
from ccc_mcp.simulator.demo_cast import default_scenario
from ccc_mcp.simulator.scenario import build_state, parse_scenario
from ccc_mcp.simulator.state import SimulatorState

from .cast import AGENT, AGENT_CHANNEL, AGENT_JOB, INSTANCE, T_NOW, WANG, WANG_CUSTOMER, WANG_JOB
from .helpers import call, call_form, without_request_id

POLL_WANG = {"InstanceId": INSTANCE, "UserId": WANG}
PAGE = {"InstanceId": INSTANCE, "PageNumber": "1", "PageSize": "10"}


def test_a_fixed_clock_stands_still_until_moved() -> None:
    clock = FixedClock(T_NOW)
    assert (clock(), clock()) == (T_NOW, T_NOW)
    assert clock.advance(1_500) == T_NOW + 1_500
    clock.set(42)
    assert clock() == 42


def test_wall_clock_is_epoch_milliseconds() -> None:
    before = time.time_ns() // 1_000_000
    assert before <= wall_clock() <= time.time_ns() // 1_000_000


@pytest.mark.parametrize(("now", "tick"), [(T_NOW, T_NOW), (T_NOW + 4_999, T_NOW), (T_NOW + 5_000, T_NOW + 5_000)])
def test_heartbeats_tick_every_five_seconds(now: int, tick: int) -> None:
    assert last_heartbeat(now) == tick


def heartbeat(state: SimulatorState, user_id: str) -> Any:
    instance = state.instances[INSTANCE]
    return user_context(INSTANCE, instance.agents[user_id], state.now())["Heartbeat"]


def test_heartbeats_advance_with_the_clock() -> None:
    clock = FixedClock(T_NOW + 2_000)
    state = build_state(default_scenario(), clock=clock)
    assert heartbeat(state, WANG) == T_NOW
    clock.advance(12_345)
    assert heartbeat(state, WANG) == T_NOW + 10_000
    assert heartbeat(state, "break@ccc-demo") == T_NOW + 10_000  # on a break, but online


def test_an_offline_agent_keeps_the_heartbeat_the_scenario_gave() -> None:
    scenario = parse_scenario({
        "credentials": [{"access_key_id": "a", "access_key_secret": "s"}],
        "instances": [{"instance_id": INSTANCE, "agents": [
            {"user_id": "gone@ccc-demo", "state": "OFFLINE", "heartbeat": 1_600_000_000_000},
            {"user_id": "new@ccc-demo", "state": "READY"},
            {"user_id": "late@ccc-demo", "state": "READY", "heartbeat": T_NOW + 60_000},
        ]}],
    })
    clock = FixedClock(T_NOW)
    state = build_state(scenario, clock=clock)
    clock.advance(60_000)
    assert heartbeat(state, "gone@ccc-demo") == 1_600_000_000_000
    assert heartbeat(state, "new@ccc-demo") == T_NOW + 60_000
    clock.set(T_NOW)
    assert heartbeat(state, "late@ccc-demo") == T_NOW + 60_000  # never before the scenario's own value


def test_a_change_stamps_the_channel_and_a_no_op_does_not() -> None:
    clock = FixedClock(T_NOW)
    state = build_state(default_scenario(), clock=clock)
    channel = state.instances[INSTANCE].calls[AGENT_JOB].channel(AGENT_CHANNEL)
    assert channel is not None
    assert channel.timestamp == 1_700_000_002_000  # the scenario's state at start
    clock.advance(7)
    state.set_muted(False, instance_id=INSTANCE, user_id=AGENT)
    assert channel.timestamp == T_NOW + 7
    clock.advance(1_000)
    state.set_muted(False, instance_id=INSTANCE, user_id=AGENT)  # already unmuted: nothing changes
    assert channel.timestamp == T_NOW + 7
    state.set_muted(True, instance_id=INSTANCE, user_id=AGENT, job_id=AGENT_JOB)
    assert channel.timestamp == T_NOW + 1_007


def test_agents_states_begin_when_the_scenario_starts_and_reset_restarts_them() -> None:
    clock = FixedClock(T_NOW)
    sim = Simulator(clock=clock)
    assert {a.state_since for a in sim.state.instances[INSTANCE].agents.values()} == {T_NOW}
    clock.advance(60_000)
    sim.reset()
    assert sim.state.instances[INSTANCE].agents[WANG].state_since == T_NOW + 60_000
    assert sim.state.clock is clock


async def test_a_fixed_clock_gives_identical_answers(client: httpx.AsyncClient) -> None:
    bodies: list[Any] = []
    for _ in range(2):
        async with running_simulator(clock=FixedClock(T_NOW)) as sim:
            for action, query in [("PollUserStatus", POLL_WANG), ("ListRealtimeAgentStates", PAGE),
                                  ("ListUsers", PAGE), ("GetUser", POLL_WANG)]:
                bodies.append(without_request_id((await call(client, sim, action, query)).json()))
            unmuted = await call(client, sim, "UnmuteCall", {"InstanceId": INSTANCE, "UserId": AGENT})
            bodies.append(without_request_id(unmuted.json()))
    first, second = bodies[:5], bodies[5:]
    assert first == second
    assert first[0]["Data"]["UserContext"]["Heartbeat"] == T_NOW
    leg = first[4]["Data"]["CallContext"]["ChannelContexts"][1]
    assert (leg["ChannelId"], leg["ChannelFlags"], leg["Timestamp"]) == (AGENT_CHANNEL, "[]", T_NOW)


async def test_answers_move_with_an_injected_clock(client: httpx.AsyncClient) -> None:
    clock = FixedClock(T_NOW)
    async with running_simulator(clock=clock) as sim:
        before = (await call(client, sim, "PollUserStatus", POLL_WANG)).json()["Data"]
        clock.advance(61_000)
        held = await call(client, sim, "HoldCall", {**POLL_WANG, "JobId": WANG_JOB, "ChannelId": WANG_CUSTOMER})
        after = (await call(client, sim, "PollUserStatus", POLL_WANG)).json()["Data"]
        rows = (await call(client, sim, "ListRealtimeAgentStates", PAGE)).json()["Data"]["List"]
    assert held.status_code == 200
    assert (before["UserContext"]["Heartbeat"], after["UserContext"]["Heartbeat"]) == (T_NOW, T_NOW + 60_000)
    customer = after["CallContext"]["ChannelContexts"][0]
    assert (customer["ChannelFlags"], customer["Timestamp"]) == ("[HOLD]", T_NOW + 61_000)
    assert (before["ContextId"], after["ContextId"]) == (0, 1)
    assert {(r["StateTime"], r["Duration"]) for r in rows} == {(T_NOW, 61)}


async def test_by_default_the_answers_are_live(asim: Simulator, client: httpx.AsyncClient) -> None:
    started = time.time_ns() // 1_000_000
    data = (await call(client, asim, "UnmuteCall", {"InstanceId": INSTANCE, "UserId": AGENT})).json()["Data"]
    finished = time.time_ns() // 1_000_000
    leg = data["CallContext"]["ChannelContexts"][1]
    assert started <= leg["Timestamp"] <= finished
    assert last_heartbeat(started) <= data["UserContext"]["Heartbeat"] <= finished
    rows = (await call_form(client, asim, "ListRealtimeAgentStates", PAGE, {})).json()["Data"]["List"]
    assert all(row["StateTime"] <= finished and row["Duration"] >= 0 for row in rows)
