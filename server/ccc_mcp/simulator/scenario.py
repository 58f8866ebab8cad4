"""Scenarios: who is in the simulated contact centre, as a validated JSON document.

A scenario names the credentials the simulated gateway accepts and, per instance, the agents and calls.
The schema is strict (unknown fields are errors, so a typo cannot silently become a default) and
cross-checked (an agent's call must exist and have the agent on it), and a bad file is reported as one
readable paragraph naming the field — never a traceback — because people write these files by hand.

The default scenario is fixed: its names are documented and relied upon by the demo, the docs and tests.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from ccc_mcp.simulator.state import Agent, Call, Channel, Credential, Instance, SimulatorState
from ccc_mcp.simulator.validation import describe_validation_error, read_json_file

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
    """An agent. A TALKING agent needs `job_id` naming a call of the same instance with a leg of theirs."""

    user_id: str = Field(min_length=1)
    state: str = Field("READY", description="OFFLINE, READY, BREAK, TALKING, WORKING, ...")
    job_id: str | None = None
    device_id: str | None = None
    extension: str | None = None
    mobile: str | None = None
    work_mode: str | None = "ON_SITE"
    break_code: str | None = None
    heartbeat: int | None = None
    outbound_scenario: bool = False
    skill_groups: list[str] = Field(default_factory=list)


class InstanceSpec(_Strict):
    instance_id: str = Field(min_length=1)
    agents: list[AgentSpec] = Field(default_factory=list)
    calls: list[CallSpec] = Field(default_factory=list)


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
    problems: list[str] = []
    agents = {a.user_id for a in inst.agents}
    calls = {c.job_id: c for c in inst.calls}
    for dup in _duplicates([a.user_id for a in inst.agents]):
        problems.append(f"{where}.agents: user_id {dup!r} appears more than once")
    for dup in _duplicates([c.job_id for c in inst.calls]):
        problems.append(f"{where}.calls: job_id {dup!r} appears more than once")
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


def _reference_problems(scenario: Scenario) -> list[str]:
    problems: list[str] = []
    for dup in _duplicates([c.access_key_id for c in scenario.credentials]):
        problems.append(f"credentials: access_key_id {dup!r} appears more than once")
    for dup in _duplicates([i.instance_id for i in scenario.instances]):
        problems.append(f"instances: instance_id {dup!r} appears more than once")
    for i, inst in enumerate(scenario.instances):
        problems.extend(_instance_problems(i, inst))
    every_agent = {a.user_id for inst in scenario.instances for a in inst.agents}
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


def build_state(scenario: Scenario) -> SimulatorState:
    """A fresh live state from a validated scenario."""
    instances = [
        Instance(
            instance_id=inst.instance_id,
            agents={a.user_id: Agent(**a.model_dump()) for a in inst.agents},
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
        for inst in scenario.instances
    ]
    credentials = [Credential(**c.model_dump()) for c in scenario.credentials]
    return SimulatorState(instances, credentials)


# -- the default scenario --------------------------------------------------------------------------

_T0 = 1_700_000_000_000  # fixed epoch ms, so every run answers byte-for-byte the same contexts
_SKILL_GROUP = "skillgroup@ccc-demo"
_HOTLINE = "02100000000"


def _legs(
    job_id: str, user_id: str, extension: str, customer: str, agent_state: str, agent_flags: list[str], offset: int
) -> list[ChannelSpec]:
    """A customer's leg and an agent's leg, named the way CCC names channels."""
    start = _T0 + offset
    return [
        ChannelSpec(
            channel_id=f"ch:customer:{customer}->{_HOTLINE}:{start}:{job_id}",
            state="ANSWERED",
            originator=customer,
            destination=_HOTLINE,
            timestamp=start + 1_000,
        ),
        ChannelSpec(
            channel_id=f"ch:user:{customer}->{extension}:{start}:{job_id}",
            state=agent_state,
            user_id=user_id,
            flags=agent_flags,
            user_extension=extension,
            skill_group_id=_SKILL_GROUP,
            originator=customer,
            destination=extension,
            timestamp=start + 2_000,
        ),
    ]


def _agent(
    user_id: str, state: str, extension: str, job_id: str | None = None, break_code: str | None = None
) -> AgentSpec:
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
    )


def default_scenario() -> Scenario:
    """The fixed demo cast; see docs/simulator.md for which request reaches which error code."""
    return Scenario(
        name="default",
        description="ccc-demo: one muted call ready to unmute, and a way to reach every error code.",
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
                agents=[
                    _agent(DEMO_USER_ID, "TALKING", "8001", job_id=DEMO_JOB_ID),
                    _agent("idle@ccc-demo", "READY", "8002"),
                    _agent("ringing@ccc-demo", "TALKING", "8003", job_id="job-demo-2"),
                    _agent("cti-fail@ccc-demo", "TALKING", "8004", job_id="job-demo-cti"),
                    _agent("break@ccc-demo", "BREAK", "8005", break_code="Warm-up"),
                ],
                calls=[
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
                            "job-demo-cti", "cti-fail@ccc-demo", "8004", "13900000004", "ANSWERED", ["MUTED"], 120_000
                        ),
                    ),
                ],
            )
        ],
    )
