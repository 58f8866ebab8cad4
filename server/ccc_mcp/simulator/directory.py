"""Who is in the contact centre: the filters, vocabularies and paging of ListUsers and ListRealtimeAgentStates.

Pure functions over the state's agents. Nothing here raises: parameter errors are found before a filter is
built (`params.py`), and a filter value that names nothing (an unknown state, skill group or media type)
simply matches nobody, the way a search with no hits answers an empty page.

Two vocabularies meet here. A UserContext speaks upper case (`UserState` WORKING, `CallType` INBOUND);
ListRealtimeAgentStates speaks capitalised words (`State` ACW, `CallType` Inbound). The pairing of the
states is inferred from CCC's Chinese labels, which match pair by pair.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TypeVar

from ccc_mcp.simulator.centre import Agent, Instance

__all__ = [
    "Page",
    "RealtimeFilter",
    "UserFilter",
    "agent_call_type",
    "folded",
    "matching",
    "realtime_call_type",
    "realtime_state",
]

T = TypeVar("T")
Check = Callable[[Agent], bool]

# UserContext.UserState -> ListRealtimeAgentStates.State
REALTIME_STATES: dict[str, str] = {
    "READY": "Ready",
    "TALKING": "Talking",
    "WORKING": "ACW",
    "RINGING": "Ringing",
    "BREAK": "Break",
    "OFFLINE": "Offline",
    "DIALING": "Dialing",
}

# CallContext.CallType -> ListRealtimeAgentStates.CallType, where the spelling is not just capitalised
_REALTIME_CALL_TYPES: dict[str, str] = {
    "BACK2BACK": "Back2Back",
    "PRIVACYDIAL": "PrivacyDial",
    "PRIVACY_DIAL": "PrivacyDial",
}

# MediaType values whose agents the simulator has: every simulated agent handles audio only.
_AUDIO_MEDIA = frozenset({"AUDIO", "ALL"})


def realtime_state(user_state: str) -> str:
    """`WORKING` -> `ACW`, `TALKING` -> `Talking`; a state CCC does not list is capitalised as is."""
    return REALTIME_STATES.get(user_state.upper(), user_state.capitalize())


def realtime_call_type(call_type: str) -> str:
    """`INBOUND` -> `Inbound`, `BACK2BACK` -> `Back2Back`; others capitalised (`BARGE` -> `Barge`)."""
    upper = call_type.upper()
    return _REALTIME_CALL_TYPES.get(upper, call_type.capitalize())


def contains(haystack: str | None, needle: str) -> bool:
    """Case-insensitive substring: CCC's "fuzzy" match, as far as a simulator can tell."""
    return haystack is not None and needle.casefold() in haystack.casefold()


@dataclass(frozen=True, slots=True)
class Page:
    """One page of a paged list: 1-based `number`, `size` rows."""

    number: int
    size: int

    def of(self, items: Sequence[T]) -> list[T]:
        start = (self.number - 1) * self.size
        return list(items[start : start + self.size])


@dataclass(frozen=True, slots=True)
class UserFilter:
    """ListUsers: `search` on login or display name; `skill_group_id` membership."""

    search: str | None = None
    skill_group_id: str | None = None

    def matches(self, agent: Agent) -> bool:
        if self.skill_group_id is not None and self.skill_group_id not in agent.skill_groups:
            return False
        return self.search is None or contains(agent.login_name, self.search) or contains(
            agent.display_name, self.search
        )


def _in(value: str | None, wanted: frozenset[str] | None) -> bool:
    """Membership, ignoring case; no set means no filter."""
    return wanted is None or (value is not None and value.casefold() in wanted)


def folded(values: Sequence[str] | None) -> frozenset[str] | None:
    """A list filter ready for `_in`: case-folded; an empty or absent list means no filter."""
    return frozenset(v.casefold() for v in values) if values else None


@dataclass(frozen=True, slots=True)
class RealtimeFilter:
    """ListRealtimeAgentStates' filters. Sets are case-folded (see `folded`); None means no filter."""

    agent_ids: frozenset[str] | None = None
    states: frozenset[str] | None = None
    skill_group_id: str | None = None
    agent_name: str | None = None
    query: str | None = None
    work_modes: frozenset[str] | None = None
    call_types: frozenset[str] | None = None
    outbound_scenario: bool | None = None
    media_type: str | None = None

    def checks(self, instance: Instance) -> list[Check]:
        """One predicate per filter that is set, built once per request: a generated floor has thousands of
        agents, and every filter left unset must cost them nothing."""
        if self.media_type is not None and self.media_type.upper() not in _AUDIO_MEDIA:
            return [_nobody]
        found: list[Check] = []
        if (ids := self.agent_ids) is not None:
            found.append(lambda a: a.user_id.casefold() in ids)
        if (group := self.skill_group_id) is not None:
            found.append(lambda a: group in a.skill_groups)
        if self.agent_name is not None:
            found.append(_search(self.agent_name, lambda a: (a.display_name,)))
        if self.query is not None:
            found.append(_search(self.query, _query_fields))
        if (modes := self.work_modes) is not None:
            found.append(lambda a: _in(a.work_mode, modes))
        if (outbound := self.outbound_scenario) is not None:
            found.append(lambda a: a.outbound_scenario == outbound)
        if self.states is not None:
            found.append(_state_check(self.states))
        if (call_types := self.call_types) is not None:
            found.append(lambda a: _in(agent_call_type(instance, a), call_types))
        return found

    def matches(self, instance: Instance, agent: Agent) -> bool:
        return all(check(agent) for check in self.checks(instance))


def _nobody(agent: Agent) -> bool:
    return False


def _state_check(states: frozenset[str]) -> Check:
    """`StateList`: whether an agent's realtime state is wanted, worked out once per UserState."""
    wanted: dict[str, bool] = {}

    def check(agent: Agent) -> bool:
        known = wanted.get(agent.state)
        if known is None:
            known = wanted[agent.state] = _in(realtime_state(agent.state), states)
        return known

    return check


def _search(text: str, fields: Callable[[Agent], tuple[str | None, ...]]) -> Check:
    """`contains` over an agent's `fields`, with the needle folded once rather than once per agent."""
    needle = text.casefold()
    return lambda agent: any(value is not None and needle in value.casefold() for value in fields(agent))


def _query_fields(agent: Agent) -> tuple[str | None, ...]:
    """What `Query` searches: display name, employee number (DisplayId) and extension."""
    return agent.display_name, agent.display_id, agent.extension


def agent_call_type(instance: Instance, agent: Agent) -> str | None:
    """The realtime `CallType` of the agent's current call; None when they are on no call."""
    call = instance.current_call(agent)
    return realtime_call_type(call.call_type) if call is not None else None


def matching(instance: Instance, keep: UserFilter | RealtimeFilter) -> list[Agent]:
    """The instance's agents that pass `keep`, in scenario order (stable, so pages never overlap)."""
    if isinstance(keep, UserFilter):
        return [a for a in instance.agents.values() if keep.matches(a)]
    agents = list(instance.agents.values())
    for check in keep.checks(instance):
        agents = [a for a in agents if check(a)]
    return agents
