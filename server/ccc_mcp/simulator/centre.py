"""The simulated contact centre's things: instances with their agents, skill groups and calls, a call's
channels, and the AccessKeys the simulated gateway accepts.

Plain dataclasses that hold no rule of call control: what they do is look up (a call's channel, an agent's
current call) and derive what a scenario leaves out (an agent's profile from their user id, a skill group's
name from its id); a credential's repr never shows its secret. The rules that change these things are the
state machine's (`state.py`); scenarios and the generated floor build them (`scenario.py`, `floor.py`),
and the wire's answers and the census read them. Kept apart from the rules so that building or reading a
centre never needs the state machine.

Hold and mute are flags on a channel (`MUTED`, `HOLD`), never a channel state or a user state.
"""

from __future__ import annotations

from dataclasses import dataclass, field

__all__ = [
    "ANSWERED",
    "HOLD",
    "MUTED",
    "OFFLINE",
    "TALKING",
    "Agent",
    "Call",
    "CallTarget",
    "Channel",
    "Credential",
    "Instance",
    "SkillGroup",
    "is_blank",
    "present",
    "skill_group_name_from_id",
]

TALKING = "TALKING"
OFFLINE = "OFFLINE"
ANSWERED = "ANSWERED"
MUTED = "MUTED"
HOLD = "HOLD"


@dataclass(slots=True)
class Channel:
    """One leg of a call. `user_id` is None for the customer's leg."""

    channel_id: str
    state: str
    user_id: str | None = None
    flags: list[str] = field(default_factory=list)
    user_extension: str | None = None
    skill_group_id: str | None = None
    originator: str | None = None
    destination: str | None = None
    release_initiator: str | None = None
    release_reason: str | None = None
    timestamp: int | None = None

    @property
    def muted(self) -> bool:
        return MUTED in self.flags

    @property
    def held(self) -> bool:
        return HOLD in self.flags


@dataclass(slots=True)
class Call:
    """A call (CCC calls it a job) and its channels. `cti_error` makes every action on it fail as CTI."""

    job_id: str
    call_type: str = "INBOUND"
    channels: list[Channel] = field(default_factory=list)
    cti_error: str | None = None

    def channel(self, channel_id: str) -> Channel | None:
        return next((ch for ch in self.channels if ch.channel_id == channel_id), None)

    def channel_of(self, user_id: str) -> Channel | None:
        """The agent's own leg of this call, if the agent is on it."""
        return next((ch for ch in self.channels if ch.user_id == user_id), None)


@dataclass(slots=True)
class Agent:
    """An agent (CCC user): live state (what a UserContext reports) and profile (what GetUser reports).

    Profile fields left empty are derived from the user id in `__post_init__`, so a scenario written
    before profiles existed still gives every agent a login name, display name, employee number and email.
    """

    user_id: str
    state: str = "READY"
    job_id: str | None = None
    device_id: str | None = None
    extension: str | None = None
    mobile: str | None = None
    work_mode: str | None = "ON_SITE"
    break_code: str | None = None
    heartbeat: int | None = None
    outbound_scenario: bool = False
    skill_groups: list[str] = field(default_factory=list)
    # profile
    login_name: str = ""
    display_name: str = ""
    display_id: str = ""
    email: str = ""
    role: str = "Agent"
    nickname: str | None = None
    avatar_url: str | None = None
    device_ext: str | None = None
    device_state: str | None = None
    ram_id: int | None = None
    primary: bool = False
    skill_levels: dict[str, int] = field(default_factory=dict)
    # live, beyond the UserContext basics
    reserved: int | None = None
    state_since: int = 0
    state_code: str | None = None
    counter_party: str | None = None

    def __post_init__(self) -> None:
        self.login_name = self.login_name or self.user_id.split("@", 1)[0]
        self.display_name = self.display_name or self.login_name
        self.display_id = self.display_id or self.extension or self.login_name
        self.email = self.email or f"{self.login_name}@example.com"

    def skill_level(self, skill_group_id: str) -> int:
        """The agent's level in a group; 1 unless the scenario says otherwise."""
        return self.skill_levels.get(skill_group_id, 1)


@dataclass(frozen=True, slots=True)
class SkillGroup:
    skill_group_id: str
    name: str


def skill_group_name_from_id(skill_group_id: str) -> str:
    """`sales@ccc-x` -> `sales`: the name a group gets when the scenario does not give one."""
    return skill_group_id.split("@", 1)[0]


@dataclass(slots=True)
class Instance:
    instance_id: str
    agents: dict[str, Agent] = field(default_factory=dict)
    calls: dict[str, Call] = field(default_factory=dict)
    skill_groups: dict[str, SkillGroup] = field(default_factory=dict)

    def skill_group_name(self, skill_group_id: str) -> str:
        known = self.skill_groups.get(skill_group_id)
        return known.name if known is not None else skill_group_name_from_id(skill_group_id)

    def current_call(self, agent: Agent) -> Call | None:
        """The call the agent is on now (their `job_id`), if it exists."""
        return self.calls.get(agent.job_id) if agent.job_id is not None else None


@dataclass(frozen=True, slots=True)
class Credential:
    """An AccessKey the simulated gateway accepts. `user_id` is the agent its RAM user maps to."""

    access_key_id: str
    access_key_secret: str
    security_token: str | None = None
    user_id: str | None = None
    disabled: bool = False

    def __repr__(self) -> str:
        token = ", security_token=<set>" if self.security_token else ""
        return (
            f"Credential(access_key_id={self.access_key_id!r}, access_key_secret=<hidden>{token}, "
            f"user_id={self.user_id!r})"
        )


@dataclass(frozen=True, slots=True)
class CallTarget:
    """What a call-control action resolved to: the agent, their call and the channel acted on."""

    instance: Instance
    agent: Agent
    call: Call
    channel: Channel


def is_blank(value: str | None) -> bool:
    """CCC's notion of blank: absent, empty or whitespace only."""
    return value is None or not value.strip()


def present(value: str | None) -> str | None:
    """The value, or None when it is blank: optional ids that are blank count as omitted."""
    return None if is_blank(value) else value

