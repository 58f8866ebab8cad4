"""Scenarios: who is in the simulated contact centre, as a validated JSON document.

A scenario names the credentials the simulated gateway accepts and, per instance, the skill groups, agents
and calls. The schema is strict (unknown fields are errors, so a typo cannot silently become a default)
and cross-checked (an agent's call must exist and have the agent on it), and a bad file is reported as one
readable paragraph naming the field — never a traceback — because people write these files by hand.

Every field added since the first version is optional, with a default derived from what is there (an
agent's display name from their user id, a skill group's name from its id), so older files still load.

The scenarios the simulator ships (the ccc-demo cast, a generated floor beside it) are in `demo_cast.py`.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from ccc_mcp.simulator.centre import (
    Agent,
    Call,
    Channel,
    Credential,
    Instance,
    SkillGroup,
    skill_group_name_from_id,
)
from ccc_mcp.simulator.clock import Clock, wall_clock
from ccc_mcp.simulator.floor import FloorSpec, floor_agent_id, generate_floor
from ccc_mcp.simulator.state import Repeats, SimulatorState
from ccc_mcp.simulator.validation import describe_validation_error, read_json_file

__all__ = [
    "AgentSpec",
    "CallSpec",
    "ChannelSpec",
    "CredentialSpec",
    "InstanceSpec",
    "Scenario",
    "ScenarioError",
    "SkillGroupSpec",
    "build_state",
    "load_scenario",
    "parse_scenario",
]


class ScenarioError(ValueError):
    """A scenario that cannot be used; the message is one paragraph that names the offending field."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ChannelSpec(_Strict):
    """One leg of a call. `user_id` names the agent on it; leave it out for the customer's leg."""

    channel_id: str = Field(min_length=1)
    state: str = Field("ANSWERED", description="CREATED, EARLY, ANSWERED, RELEASED, ...")
    user_id: str | None = None
    flags: list[str] = Field(default_factory=list, description='e.g. ["MUTED"].')
    user_extension: str | None = None
    skill_group_id: str | None = None
    originator: str | None = None
    destination: str | None = None
    release_initiator: str | None = None
    release_reason: str | None = None
    timestamp: int | None = Field(None, description="Epoch ms of the channel's last state change.")


class CallSpec(_Strict):
    """A call (job). `cti_error`, when set, makes every action on the call fail with InternalService.CTI."""

    job_id: str = Field(min_length=1)
    call_type: str = "INBOUND"
    cti_error: str | None = None
    channels: list[ChannelSpec] = Field(default_factory=list)


class AgentSpec(_Strict):
    """An agent. A TALKING agent needs `job_id` naming a call of the same instance with a leg of theirs.

    Profile fields left out are derived from `user_id` (`alice@ccc-x` -> login and display name `alice`,
    employee number = the extension, else the login name; email `alice@example.com`).
    """

    user_id: str = Field(min_length=1)
    state: str = Field("READY", description="OFFLINE, READY, BREAK, TALKING, WORKING, RINGING, DIALING, ...")
    job_id: str | None = None
    device_id: str | None = None
    extension: str | None = None
    mobile: str | None = None
    work_mode: str | None = "ON_SITE"
    break_code: str | None = None
    heartbeat: int | None = Field(None, description="Epoch ms of the last heartbeat at start; live afterwards.")
    outbound_scenario: bool = False
    skill_groups: list[str] = Field(default_factory=list)
    # profile (GetUser, ListUsers)
    login_name: str | None = None
    display_name: str | None = None
    display_id: str | None = Field(None, description="Employee number.")
    email: str | None = None
    role: str = Field("Agent", description="Agent, Admin or Manager; RoleId is <role>@<instance>.")
    nickname: str | None = None
    avatar_url: str | None = None
    device_ext: str | None = Field(None, description="SIP phone extension, if one is registered.")
    device_state: str | None = Field(None, description="SIP phone registration: UNREGISTERED, OFFLINE, ONLINE.")
    ram_id: int | None = None
    primary: bool = False
    skill_levels: dict[str, int] = Field(default_factory=dict, description="skill group id -> level (1 if absent).")
    # live (UserContext.Reserved, ListRealtimeAgentStates)
    reserved: int | None = Field(None, description="Epoch ms the agent was last reserved for an incoming call.")
    state_since: int | None = Field(None, description="Epoch ms the state began; default: when the scenario starts.")
    state_code: str | None = Field(None, description="Sub-state, e.g. Monitoring, Consulting.")
    counter_party: str | None = None


class SkillGroupSpec(_Strict):
    """A skill group's name. Groups agents name but the instance does not list are named from their id."""

    skill_group_id: str = Field(min_length=1)
    name: str | None = Field(None, description="Default: the id's part before '@'.")


class InstanceSpec(_Strict):
    """An instance: its skill groups, agents and calls, listed or generated by a `floor` block."""

    instance_id: str = Field(min_length=1)
    skill_groups: list[SkillGroupSpec] = Field(default_factory=list)
    agents: list[AgentSpec] = Field(default_factory=list)
    calls: list[CallSpec] = Field(default_factory=list)
    floor: FloorSpec | None = Field(None, description="Generate the agents, calls and skill groups (floor.py).")


class CredentialSpec(_Strict):
    """An AccessKey. With `security_token` it is an STS credential: requests must carry that token."""

    access_key_id: str = Field(min_length=1)
    access_key_secret: str = Field(min_length=1)
    security_token: str | None = None
    user_id: str | None = Field(None, description="The agent used when a request omits UserId.")
    disabled: bool = Field(False, description="Requests signed with it get Forbidden.AccessKeyDisabled.")


class Scenario(_Strict):
    """A whole scenario. The first credential is the one the runner advertises (`sim.access_key_id`)."""

    name: str = "custom"
    description: str = ""
    repeats: Repeats = Field(
        "noop", description='HoldCall on a held channel: "noop" succeeds changing nothing; "strict" is an error.'
    )
    credentials: list[CredentialSpec] = Field(min_length=1)
    instances: list[InstanceSpec] = Field(default_factory=list)

    @model_validator(mode="after")
    def _cross_check(self) -> Scenario:
        problems = _reference_problems(self)
        if problems:
            raise ValueError("; ".join(problems))
        return self


def _duplicates(values: Sequence[str]) -> list[str]:
    seen: set[str] = set()
    dups: set[str] = set()
    for value in values:
        (dups if value in seen else seen).add(value)
    return sorted(dups)


def _instance_problems(i: int, inst: InstanceSpec) -> list[str]:
    """References inside one instance: agents' calls, channels' agents, unique ids."""
    where = f"instances[{i}]"
    if inst.floor is not None and (inst.agents or inst.calls or inst.skill_groups):
        return [f"{where}.floor: an instance with a floor lists no agents, calls or skill_groups: it generates them"]
    problems: list[str] = []
    agents = {a.user_id for a in inst.agents}
    calls = {c.job_id: c for c in inst.calls}
    for dup in _duplicates([a.user_id for a in inst.agents]):
        problems.append(f"{where}.agents: user_id {dup!r} appears more than once")
    for dup in _duplicates([c.job_id for c in inst.calls]):
        problems.append(f"{where}.calls: job_id {dup!r} appears more than once")
    for dup in _duplicates([g.skill_group_id for g in inst.skill_groups]):
        problems.append(f"{where}.skill_groups: skill_group_id {dup!r} appears more than once")
    problems.extend(_skill_level_problems(where, inst))
    for j, call in enumerate(inst.calls):
        for dup in _duplicates([ch.channel_id for ch in call.channels]):
            problems.append(f"{where}.calls[{j}].channels: channel_id {dup!r} appears more than once")
        for k, ch in enumerate(call.channels):
            if ch.user_id is not None and ch.user_id not in agents:
                problems.append(
                    f"{where}.calls[{j}].channels[{k}].user_id: no agent {ch.user_id!r} in "
                    f"instance {inst.instance_id!r}"
                )
    for j, agent in enumerate(inst.agents):
        if agent.job_id is None:
            if agent.state == "TALKING":
                problems.append(f"{where}.agents[{j}].job_id: a TALKING agent needs the job_id of their call")
            continue
        their_call = calls.get(agent.job_id)
        if their_call is None:
            problems.append(f"{where}.agents[{j}].job_id: no call {agent.job_id!r} in instance {inst.instance_id!r}")
        elif not any(ch.user_id == agent.user_id for ch in their_call.channels):
            problems.append(
                f"{where}.agents[{j}].job_id: call {agent.job_id!r} has no channel with user_id {agent.user_id!r}"
            )
    return problems


def _skill_level_problems(where: str, inst: InstanceSpec) -> list[str]:
    """A level is for a group the agent is in, and at least 1."""
    problems: list[str] = []
    for j, agent in enumerate(inst.agents):
        for group, level in agent.skill_levels.items():
            if group not in agent.skill_groups:
                problems.append(f"{where}.agents[{j}].skill_levels: {group!r} is not one of the agent's skill_groups")
            if level < 1:
                problems.append(f"{where}.agents[{j}].skill_levels: the level of {group!r} must be at least 1")
    return problems


def _reference_problems(scenario: Scenario) -> list[str]:
    problems: list[str] = []
    for dup in _duplicates([c.access_key_id for c in scenario.credentials]):
        problems.append(f"credentials: access_key_id {dup!r} appears more than once")
    for dup in _duplicates([i.instance_id for i in scenario.instances]):
        problems.append(f"instances: instance_id {dup!r} appears more than once")
    for i, inst in enumerate(scenario.instances):
        problems.extend(_instance_problems(i, inst))
    every_agent = {a.user_id for inst in scenario.instances for a in inst.agents}
    every_agent.update(
        floor_agent_id(inst.instance_id, number)
        for inst in scenario.instances if inst.floor is not None
        for number in range(1, inst.floor.agents + 1)
    )  # fmt: skip
    for k, cred in enumerate(scenario.credentials):
        if cred.user_id is not None and scenario.instances and cred.user_id not in every_agent:
            problems.append(f"credentials[{k}].user_id: no agent {cred.user_id!r} in any instance")
    return problems


# -- loading ---------------------------------------------------------------------------------------


def parse_scenario(data: Any, source: str = "scenario") -> Scenario:
    """Validate already-decoded JSON; raises ScenarioError naming the first bad fields."""
    try:
        return Scenario.model_validate(data)
    except ValidationError as exc:
        raise ScenarioError(f"{source} is not a valid scenario: {describe_validation_error(exc)}.") from None


def load_scenario(path: str | Path) -> Scenario:
    """Read and validate a scenario file; every failure is a ScenarioError with a readable message."""
    source = f"Scenario file {str(path)!r}"
    return parse_scenario(read_json_file(path, source, ScenarioError), source)


_DERIVED_PROFILE = frozenset({"login_name", "display_name", "display_id", "email"})


def _build_agent(spec: AgentSpec, started_at: int) -> Agent:
    """Unset profile fields are left to `Agent`'s derivations; an unset `state_since` is the start."""
    fields = {k: v for k, v in spec.model_dump().items() if v is not None or k not in _DERIVED_PROFILE}
    fields["state_since"] = spec.state_since if spec.state_since is not None else started_at
    return Agent(**fields)


def _build_skill_groups(inst: InstanceSpec) -> dict[str, SkillGroup]:
    return {
        g.skill_group_id: SkillGroup(g.skill_group_id, g.name or skill_group_name_from_id(g.skill_group_id))
        for g in inst.skill_groups
    }


def _build_instance(inst: InstanceSpec, started_at: int) -> Instance:
    """One instance as listed, or as its floor generates it."""
    if inst.floor is not None:
        floor = generate_floor(inst.instance_id, inst.floor, started_at)
        return Instance(inst.instance_id, agents=floor.agents, calls=floor.calls, skill_groups=floor.skill_groups)
    return Instance(
        instance_id=inst.instance_id,
        skill_groups=_build_skill_groups(inst),
        agents={a.user_id: _build_agent(a, started_at) for a in inst.agents},
        calls={
            c.job_id: Call(
                job_id=c.job_id,
                call_type=c.call_type,
                cti_error=c.cti_error,
                channels=[Channel(**ch.model_dump()) for ch in c.channels],
            )
            for c in inst.calls
        },
    )


def build_state(scenario: Scenario, *, clock: Clock = wall_clock) -> SimulatorState:
    """A fresh live state from a validated scenario; the scenario starts at the clock's now."""
    started_at = clock()
    instances = [_build_instance(inst, started_at) for inst in scenario.instances]
    credentials = [Credential(**c.model_dump()) for c in scenario.credentials]
    return SimulatorState(instances, credentials, clock=clock, repeats=scenario.repeats)
