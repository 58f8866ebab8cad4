"""A head count of an instance as it stands: states, calls, mutes, holds, consult calls, skill groups.

Any instance can be counted (`GET /_admin/summary` serves every instance's), and a freshly generated floor
counts exactly what `FloorMix.census` says it should: the test of the generator compares the two, one
counted from the live objects, the other from the formulas. After a MuteCall the count moves with it, so a
test can ask "how many agents are muted now?" without walking the state itself.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from ccc_mcp.simulator.centre import HOLD, Instance
from ccc_mcp.simulator.directory import realtime_state
from ccc_mcp.simulator.floor import FloorMix
from ccc_mcp.simulator.state import SimulatorState

__all__ = ["census", "expected_census", "summary"]


def _counts(values: Counter[str]) -> dict[str, int]:
    """Non-zero counts, sorted by name, so two censuses compare as plain dicts."""
    return {key: count for key, count in sorted(values.items()) if count}


def census(instance: Instance) -> dict[str, Any]:
    """The instance's head count (the caller holds the state's lock, or owns the instance)."""
    agents = list(instance.agents.values())
    calls = list(instance.calls.values())
    surnames = Counter(a.display_name.split(" ", 1)[0] for a in agents if " " in a.display_name)
    muted = 0
    for agent in agents:
        call = instance.current_call(agent)
        own = call.channel_of(agent.user_id) if call is not None else None
        muted += own is not None and own.muted
    return {
        "agents": len(agents),
        "states": _counts(Counter(realtime_state(a.state) for a in agents)),
        "state_codes": _counts(Counter(a.state_code for a in agents if a.state_code)),
        "break_codes": _counts(Counter(a.break_code for a in agents if a.break_code)),
        "agents_on_calls": sum(instance.current_call(a) is not None for a in agents),
        "calls": len(calls),
        "call_types": _counts(Counter(c.call_type for c in calls)),
        "calls_with_three_parties": sum(len(c.channels) >= 3 for c in calls),
        "muted_agents": muted,
        "held_channels": sum(HOLD in ch.flags for c in calls for ch in c.channels),
        "skill_groups": _counts(Counter(g for a in agents for g in a.skill_groups)),
        "shared_surnames": {name: n for name, n in sorted(surnames.items()) if n > 1},
    }


def expected_census(mix: FloorMix, instance_id: str) -> dict[str, Any]:
    """What `census` counts on a floor freshly generated with `mix` (docs/simulator.md, "A generated floor")."""
    states = Counter({
        "Offline": mix.offline, "Break": mix.on_break, "ACW": mix.after_call_work, "Ready": mix.ready,
        "Ringing": mix.ringing, "Dialing": mix.dialing, "Talking": mix.talking,
    })  # fmt: skip
    inbound = mix.two_party - mix.outbound + mix.consult_calls + mix.ringing
    return {
        "agents": mix.agents,
        "states": _counts(states),
        "state_codes": _counts(Counter({"Consulting": mix.consult_calls, "Consulted": mix.consult_calls})),
        "break_codes": mix.break_codes(),
        "agents_on_calls": mix.talking + mix.ringing + mix.dialing,
        "calls": mix.live_calls,
        "call_types": _counts(Counter({"INBOUND": inbound, "OUTBOUND": mix.outbound + mix.dialing})),
        "calls_with_three_parties": mix.consult_calls,
        "muted_agents": mix.muted,
        "held_channels": mix.held,
        "skill_groups": dict(sorted(mix.skill_group_members(instance_id).items())),
        "shared_surnames": {name: n for name, n in sorted(mix.surnames().items()) if n > 1},
    }


def summary(state: SimulatorState) -> dict[str, dict[str, Any]]:
    """Every instance's census, by instance id, taken under the state's lock."""
    with state.lock:
        return {instance_id: census(instance) for instance_id, instance in state.instances.items()}
