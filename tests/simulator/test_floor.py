"""A generated floor (docs/simulator.md, "A generated floor"): the same for the same N and seed, with the
documented mix at every size, and the details a supervisor's questions need — consult calls with two agents
on one job, customers on hold since a moment of their own, shared surnames, state times spread out."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from ccc_mcp.simulator import (
    FLOOR_INSTANCE_ID,
    FixedClock,
    ScenarioError,
    census,
    default_scenario,
    expected_census,
    floor_mix,
    load_scenario,
    with_floor,
)
from ccc_mcp.simulator.centre import Instance
from ccc_mcp.simulator.floor import FloorSpec, generate_floor
from ccc_mcp.simulator.scenario import build_state

from .cast import T_NOW

SIZES = [50, 200, 1000]


def floor(agents: int, seed: int = 0, now: int = T_NOW) -> Instance:
    state = build_state(with_floor(default_scenario(), agents, seed=seed), clock=FixedClock(now))
    return state.instances[FLOOR_INSTANCE_ID]


def stored(instance: Instance) -> str:
    """Everything the floor holds, as text: two floors are the same floor when these are equal."""
    from dataclasses import asdict

    return json.dumps({"agents": [asdict(a) for a in instance.agents.values()],
                       "calls": [asdict(c) for c in instance.calls.values()],
                       "groups": [asdict(g) for g in instance.skill_groups.values()]}, sort_keys=True)  # fmt: skip


def test_the_same_size_and_seed_give_the_same_floor() -> None:
    assert stored(floor(200, seed=3)) == stored(floor(200, seed=3))


def test_another_seed_moves_people_about_but_keeps_every_count() -> None:
    first, second = floor(200, seed=0), floor(200, seed=1)
    assert stored(first) != stored(second)
    assert [a.state for a in first.agents.values()] != [a.state for a in second.agents.values()]
    assert census(first) == census(second)


def test_times_are_relative_to_the_start_of_the_scenario() -> None:
    earlier, later = floor(50, now=T_NOW), floor(50, now=T_NOW + 60_000)
    for a, b in zip(earlier.agents.values(), later.agents.values(), strict=True):
        assert b.state_since - a.state_since == 60_000
    assert [c.job_id for c in earlier.calls.values()] == [c.job_id for c in later.calls.values()]
    ids = [[ch.channel_id for ch in c.channels] for c in earlier.calls.values()]
    assert ids == [[ch.channel_id for ch in c.channels] for c in later.calls.values()]  # ids hold no time


@pytest.mark.parametrize("agents", SIZES)
@pytest.mark.parametrize("seed", [0, 7])
def test_the_mix_holds_at_every_size(agents: int, seed: int) -> None:
    assert census(floor(agents, seed)) == expected_census(floor_mix(agents), FLOOR_INSTANCE_ID)


def test_the_documented_mix_of_a_thousand_agents() -> None:
    """The table in docs/simulator.md, figure by figure."""
    counted = census(floor(1000))
    assert counted["states"] == {"ACW": 100, "Break": 100, "Dialing": 20, "Offline": 50, "Ready": 100,
                                 "Ringing": 20, "Talking": 610}  # fmt: skip
    assert counted["break_codes"] == {"Lunch": 25, "RingingTimeout": 25, "Training": 25, "Warm-up": 25}
    assert counted["state_codes"] == {"Consulted": 20, "Consulting": 20}
    assert (counted["calls"], counted["calls_with_three_parties"], counted["agents_on_calls"]) == (630, 20, 650)
    assert counted["call_types"] == {"INBOUND": 468, "OUTBOUND": 162}
    assert (counted["muted_agents"], counted["held_channels"]) == (68, 88)
    assert counted["skill_groups"]["vip@ccc-floor"] == 125
    assert counted["shared_surnames"]["Wang"] == 100
    mix = floor_mix(1000)
    assert (mix.two_party, mix.muted_only, mix.held_only, mix.muted_and_held, mix.outbound) == (570, 57, 57, 11, 142)


@pytest.mark.parametrize("agents", [1, 2, 5, 9, 49])
def test_small_floors_are_valid_too(agents: int) -> None:
    instance = floor(agents)
    assert census(instance) == expected_census(floor_mix(agents), FLOOR_INSTANCE_ID)
    for agent in instance.agents.values():
        if agent.job_id is not None:
            assert instance.calls[agent.job_id].channel_of(agent.user_id) is not None


def test_every_agent_on_a_call_has_a_leg_of_it_and_every_call_an_agent() -> None:
    instance = floor(1000)
    on_calls = [a for a in instance.agents.values() if a.job_id is not None]
    assert {a.job_id for a in on_calls} == set(instance.calls)
    for agent in on_calls:
        leg = instance.calls[agent.job_id].channel_of(agent.user_id)  # type: ignore[index]
        assert leg is not None
        assert leg.user_extension == agent.extension
        assert leg.skill_group_id in agent.skill_groups


def test_a_consult_call_has_two_agents_on_one_job() -> None:
    instance = floor(200)
    consulting = [a for a in instance.agents.values() if a.state_code == "Consulting"]
    assert len(consulting) == floor_mix(200).consult_calls == 4
    for first in consulting:
        second = instance.agents[first.counter_party]  # type: ignore[index]
        assert (first.state, second.state) == ("TALKING", "TALKING")
        assert (second.state_code, second.counter_party, second.job_id) == ("Consulted", first.user_id, first.job_id)
        call = instance.calls[first.job_id]  # type: ignore[index]
        assert [ch.user_id for ch in call.channels] == [None, first.user_id, second.user_id]
        assert call.channels[0].held, "the customer waits on hold while the agents talk"
        assert all(ch.state == "ANSWERED" for ch in call.channels)


def test_held_customers_were_put_on_hold_at_moments_of_their_own() -> None:
    instance = floor(1000)
    held = [(c, ch) for c in instance.calls.values() for ch in c.channels if ch.held]
    assert len(held) == floor_mix(1000).held
    assert all(ch.user_id is None for _, ch in held), "only customers are held"
    since = [ch.timestamp for _, ch in held]
    assert all(t is not None and t < T_NOW for t in since)
    assert len(set(since)) > len(since) // 2, "spread out, not one moment for all"
    for call, channel in held:
        answered = min(instance.agents[ch.user_id].state_since for ch in call.channels if ch.user_id is not None)
        assert channel.timestamp is not None
        assert answered < channel.timestamp < T_NOW, "held after an agent answered, before now"


def test_muted_agents_muted_themselves_during_the_call() -> None:
    instance = floor(1000)
    muted = [a for a in instance.agents.values() if a.job_id and instance.calls[a.job_id].channel_of(a.user_id).muted]  # type: ignore[union-attr]
    assert len(muted) == floor_mix(1000).muted
    for agent in muted:
        leg = instance.calls[agent.job_id].channel_of(agent.user_id)  # type: ignore[index, union-attr]
        assert leg is not None
        assert leg.timestamp is not None
        assert agent.state_since < leg.timestamp < T_NOW, "muted after answering, before now"
        assert agent.state == "TALKING"


def test_state_times_are_spread_out_before_the_start() -> None:
    instance = floor(1000)
    since = [a.state_since for a in instance.agents.values()]
    assert max(since) < T_NOW
    assert len(set(since)) > 500, "spread out (to the second), not all at the start"
    offline = [a for a in instance.agents.values() if a.state == "OFFLINE"]
    assert all(a.heartbeat == a.state_since and a.device_state == "OFFLINE" for a in offline)
    assert all(a.break_code for a in instance.agents.values() if a.state == "BREAK")


def test_ringing_and_dialing_agents_have_an_early_call() -> None:
    instance = floor(1000)
    for agent in instance.agents.values():
        if agent.state not in ("RINGING", "DIALING"):
            continue
        call = instance.calls[agent.job_id]  # type: ignore[index]
        own = call.channel_of(agent.user_id)
        customer = next(ch for ch in call.channels if ch.user_id is None)
        if agent.state == "RINGING":
            assert (call.call_type, own and own.state, customer.state) == ("INBOUND", "EARLY", "ANSWERED")
        else:
            assert (call.call_type, own and own.state, customer.state) == ("OUTBOUND", "ANSWERED", "EARLY")


def test_names_skill_groups_and_profiles() -> None:
    instance = floor(200)
    wangs = [a for a in instance.agents.values() if a.display_name.startswith("Wang ")]
    assert len(wangs) == 20
    assert len({a.display_name for a in wangs}) == 20, "up to 200 agents, full names are unique"
    assert {g.name for g in instance.skill_groups.values()} == {
        "Sales", "Customer Support", "Billing", "Technical Support", "Retention", "VIP"}
    first = instance.agents["agent00001@ccc-floor"]
    assert (first.extension, first.display_id, first.login_name) == ("10001", "E00001", "agent00001")
    assert first.skill_groups == ["sales@ccc-floor", "vip@ccc-floor"]


def test_the_default_scenario_is_untouched_beside_a_floor() -> None:
    plain = build_state(default_scenario(), clock=FixedClock(T_NOW)).snapshot()
    beside = build_state(with_floor(default_scenario(), 50), clock=FixedClock(T_NOW)).snapshot()
    assert beside["instances"][0] == plain["instances"][0]
    assert beside["credentials"] == plain["credentials"]
    assert [i["instance_id"] for i in beside["instances"]] == ["ccc-demo", "ccc-floor"]


def test_a_floor_is_generated_quickly_even_at_ten_thousand_agents() -> None:
    """Counted, not timed: the generator makes each agent, call and channel once."""
    generated = generate_floor("x", FloorSpec(agents=10_000), T_NOW)
    assert len(generated.agents) == 10_000
    assert len(generated.calls) == floor_mix(10_000).live_calls


# -- scenario files ----------------------------------------------------------------------------------------

CREDENTIALS = [{"access_key_id": "ak", "access_key_secret": "sk"}]


def write(tmp_path: Path, data: Any) -> Path:
    path = tmp_path / "floor.json"
    path.write_text(json.dumps(data))
    return path


def test_a_scenario_file_can_ask_for_floors(tmp_path: Path) -> None:
    path = write(tmp_path, {"credentials": [{**CREDENTIALS[0], "user_id": "agent00007@ccc-big"}], "instances": [
        {"instance_id": "ccc-small", "floor": {"agents": 50}},
        {"instance_id": "ccc-big", "floor": {"agents": 200, "seed": 9}},
    ]})  # fmt: skip
    state = build_state(load_scenario(path), clock=FixedClock(T_NOW))
    assert census(state.instances["ccc-small"]) == expected_census(floor_mix(50), "ccc-small")
    assert census(state.instances["ccc-big"]) == expected_census(floor_mix(200), "ccc-big")
    assert stored(state.instances["ccc-big"]) == stored(floor(200, seed=9)).replace("ccc-floor", "ccc-big")


@pytest.mark.parametrize(("instance", "message"), [
    ({"instance_id": "x", "floor": {"agents": 0}}, r"instances\[0\]\.floor\.agents: Input should be greater"),
    ({"instance_id": "x", "floor": {"agents": 10_001}}, r"instances\[0\]\.floor\.agents: Input should be less"),
    ({"instance_id": "x", "floor": {"agents": 5, "size": 1}}, r"instances\[0\]\.floor\.size: Extra inputs"),
    ({"instance_id": "x", "floor": {"agents": 5}, "agents": [{"user_id": "a@x"}]},
     r"instances\[0\]\.floor: an instance with a floor lists no agents, calls or skill_groups"),
])  # fmt: skip
def test_a_bad_floor_names_its_field(tmp_path: Path, instance: dict[str, Any], message: str) -> None:
    with pytest.raises(ScenarioError, match=message):
        load_scenario(write(tmp_path, {"credentials": CREDENTIALS, "instances": [instance]}))


def test_a_credential_may_name_a_floor_agent_that_exists_and_no_other(tmp_path: Path) -> None:
    bad = {"credentials": [{**CREDENTIALS[0], "user_id": "agent00051@x"}],
           "instances": [{"instance_id": "x", "floor": {"agents": 50}}]}  # fmt: skip
    with pytest.raises(ScenarioError, match=r"credentials\[0\]\.user_id: no agent 'agent00051@x'"):
        load_scenario(write(tmp_path, bad))


def test_a_floor_cannot_take_an_instance_id_already_in_use() -> None:
    with pytest.raises(ScenarioError, match="instance_id 'ccc-demo' appears more than once"):
        with_floor(default_scenario(), 10, instance_id="ccc-demo")


def test_the_census_counts_an_agent_muted_by_their_own_leg_only() -> None:
    """On a three-party call, one agent muting themself mutes nobody else."""
    state = build_state(with_floor(default_scenario(), 200), clock=FixedClock(T_NOW))
    instance = state.instances[FLOOR_INSTANCE_ID]
    first = next(a for a in instance.agents.values() if a.state_code == "Consulting")
    state.set_muted(True, instance_id=FLOOR_INSTANCE_ID, user_id=first.user_id, job_id=first.job_id)
    assert census(instance)["muted_agents"] == floor_mix(200).muted + 1
