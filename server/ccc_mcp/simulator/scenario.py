"""Scenarios: who is in the simulated contact centre, as a validated JSON document.

A scenario names the credentials the simulated gateway accepts and, per instance, the skill groups, agents
and calls. The schema is strict (unknown fields are errors, so a typo cannot silently become a default)
and cross-checked (an agent's call must exist and have the agent on it), and a bad file is reported as one
readable paragraph naming the field — never a traceback — because people write these files by hand.

Every field added since the first version is optional, with a default derived from what is there (an
agent's display name from their user id, a skill group's name from its id), so older files still load.

The default scenario is fixed: its names are documented and relied upon by the demo, the docs and tests.
Its timestamps are fixed too, as the state at start; what happens afterwards is stamped by the clock.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from ccc_mcp.simulator.clock import Clock, wall_clock
from ccc_mcp.simulator.floor import FLOOR_INSTANCE_ID, FloorSpec, floor_agent_id, generate_floor
from ccc_mcp.simulator.state import (
    Agent,
    Call,
    Channel,
    Credential,
    Instance,
    Repeats,
    SimulatorState,
    SkillGroup,
    skill_group_name_from_id,
)
from ccc_mcp.simulator.validation import describe_validation_error, read_json_file

__all__ = [
    "DEMO_INSTANCE_ID",
    "DEMO_USER_ID",
    "AgentSpec",
    "CallSpec",
    "ChannelSpec",
    "CredentialSpec",
    "Scenario",
    "ScenarioError",
    "build_state",
    "default_scenario",
    "load_scenario",
    "parse_scenario",
    "with_floor",
]

DEMO_INSTANCE_ID = "ccc-demo"
DEMO_ACCESS_KEY_ID = "sim-access-key-id"
DEMO_ACCESS_KEY_SECRET = "sim-access-key-secret"  # noqa: S105 - a published demo credential
DEMO_USER_ID = "agent@ccc-demo"
DEMO_JOB_ID = "job-demo-1"
# Published demo credentials of the default scenario: an STS one, and a disabled one.
STS_ACCESS_KEY_ID = "sim-sts-access-key-id"
STS_ACCESS_KEY_SECRET = "sim-sts-access-key-secret"  # noqa: S105
STS_SECURITY_TOKEN = "sim-security-token"  # noqa: S105
DISABLED_ACCESS_KEY_ID = "sim-disabled-access-key-id"
DISABLED_ACCESS_KEY_SECRET = "sim-disabled-access-key-secret"  # noqa: S105


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


def with_floor(
    scenario: Scenario, agents: int, *, seed: int = 0, instance_id: str = FLOOR_INSTANCE_ID
) -> Scenario:
    """`scenario` plus an instance whose floor of `agents` is generated (`ccc-mcp simulator --floor N`).

    The instance is added, never swapped in: the scenario's own instances (the ccc-demo cast) stay as they
    are, and its credentials reach the floor too. A clash of instance ids is a ScenarioError."""
    data = scenario.model_dump()
    floor = {"instance_id": instance_id, "floor": {"agents": agents, "seed": seed}}
    data["instances"] = [*data["instances"], floor]
    return parse_scenario(data, f"The scenario with a floor of {agents} agents")


# -- the default scenario --------------------------------------------------------------------------

_T0 = 1_700_000_000_000  # fixed epoch ms: the state at start (and channel ids) are the same on every run
_SKILL_GROUP = "skillgroup@ccc-demo"
_SKILL_GROUP_NAME = "Demo Hotline"
_HOTLINE = "02100000000"
WANG_USER_ID = "wang@ccc-demo"
WANG_JOB_ID = "job-demo-3"


def _legs(
    job_id: str, user_id: str, extension: str, customer: str, agent_state: str, agent_flags: list[str], offset: int,
    *, outbound: bool = False,
) -> list[ChannelSpec]:
    """A customer's leg and an agent's leg, named the way CCC names channels: an inbound call's customer dialled
    the hotline and was put through to the agent; an outbound call's agent dialled the customer from it."""
    start = _T0 + offset
    caller, called = (_HOTLINE, customer) if outbound else (customer, _HOTLINE)
    agent_from, agent_to = (extension, customer) if outbound else (customer, extension)
    return [
        ChannelSpec(
            channel_id=f"ch:customer:{caller}->{called}:{start}:{job_id}",
            state="ANSWERED",
            originator=caller,
            destination=called,
            timestamp=start + 1_000,
        ),
        ChannelSpec(
            channel_id=f"ch:user:{agent_from}->{agent_to}:{start}:{job_id}",
            state=agent_state,
            user_id=user_id,
            flags=agent_flags,
            user_extension=extension,
            skill_group_id=_SKILL_GROUP,
            originator=agent_from,
            destination=agent_to,
            timestamp=start + 2_000,
        ),
    ]


def _agent(
    user_id: str,
    display_name: str,
    state: str,
    extension: str,
    job_id: str | None = None,
    break_code: str | None = None,
    call_offset: int | None = None,
) -> AgentSpec:
    """A demo agent: employee number 100N for extension 800N; reserved when their call came in."""
    return AgentSpec(
        user_id=user_id,
        state=state,
        job_id=job_id,
        device_id=f"ACC-SIM-{extension}",
        extension=extension,
        mobile=f"1380000{extension}",
        work_mode="ON_SITE",
        break_code=break_code,
        heartbeat=_T0 + 5_000,
        skill_groups=[_SKILL_GROUP],
        display_name=display_name,
        display_id=f"1{extension[1:]}",
        device_state="UNREGISTERED",
        reserved=_T0 + call_offset if call_offset is not None else None,
    )


def _demo_calls() -> list[CallSpec]:
    return [
        CallSpec(
            job_id=DEMO_JOB_ID,
            call_type="INBOUND",
            channels=_legs(DEMO_JOB_ID, DEMO_USER_ID, "8001", "13900000001", "ANSWERED", ["MUTED"], 0),
        ),
        CallSpec(
            job_id="job-demo-2",
            call_type="INBOUND",
            channels=_legs("job-demo-2", "ringing@ccc-demo", "8003", "13900000002", "EARLY", [], 60_000),
        ),
        CallSpec(
            job_id="job-demo-cti",
            call_type="OUTBOUND",
            cti_error="The CTI gateway did not answer in time (simulated).",
            channels=_legs(
                "job-demo-cti", "cti-fail@ccc-demo", "8004", "13900000004", "ANSWERED", ["MUTED"], 120_000,
                outbound=True,
            ),
        ),
        CallSpec(
            job_id=WANG_JOB_ID,
            call_type="INBOUND",
            channels=_legs(WANG_JOB_ID, WANG_USER_ID, "8006", "13900000006", "ANSWERED", [], 300_000),
        ),
    ]


def default_scenario() -> Scenario:
    """The fixed demo cast; see docs/simulator.md for which request reaches which error code."""
    return Scenario(
        name="default",
        description=(
            "ccc-demo: one muted call ready to unmute, Wang Fang on a call ready to hold, retrieve, mute and "
            "unmute, and a way to reach every error code."
        ),
        credentials=[
            CredentialSpec(
                access_key_id=DEMO_ACCESS_KEY_ID, access_key_secret=DEMO_ACCESS_KEY_SECRET, user_id=DEMO_USER_ID
            ),
            CredentialSpec(
                access_key_id=STS_ACCESS_KEY_ID,
                access_key_secret=STS_ACCESS_KEY_SECRET,
                security_token=STS_SECURITY_TOKEN,
                user_id=DEMO_USER_ID,
            ),
            CredentialSpec(
                access_key_id=DISABLED_ACCESS_KEY_ID, access_key_secret=DISABLED_ACCESS_KEY_SECRET, disabled=True
            ),
        ],
        instances=[
            InstanceSpec(
                instance_id=DEMO_INSTANCE_ID,
                skill_groups=[SkillGroupSpec(skill_group_id=_SKILL_GROUP, name=_SKILL_GROUP_NAME)],
                agents=[
                    _agent(DEMO_USER_ID, "Zhang Wei", "TALKING", "8001", job_id=DEMO_JOB_ID, call_offset=0),
                    _agent("idle@ccc-demo", "Li Na", "READY", "8002"),
                    _agent("ringing@ccc-demo", "Liu Yang", "TALKING", "8003", job_id="job-demo-2", call_offset=60_000),
                    _agent(
                        "cti-fail@ccc-demo", "Chen Jie", "TALKING", "8004", job_id="job-demo-cti", call_offset=120_000
                    ),
                    _agent("break@ccc-demo", "Zhao Min", "BREAK", "8005", break_code="Warm-up"),
                    _agent(WANG_USER_ID, "Wang Fang", "TALKING", "8006", job_id=WANG_JOB_ID, call_offset=300_000),
                ],
                calls=_demo_calls(),
            )
        ],
    )
