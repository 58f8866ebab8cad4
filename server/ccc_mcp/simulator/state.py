"""The simulated contact centre: instances, agents, calls and channels, and the rules of call control.

Pure and synchronous: nothing here knows about HTTP, signing or JSON, so every rule of the state machine
can be tested by calling a method and looking at the result. Rule violations raise `CccError` with the
exact code and params CCC answers with; the HTTP layer only wraps them in an envelope.

The rules of UnmuteCall / MuteCall, checked in this order (the first that fails decides the answer):

1. the instance must exist                           -> NotExists.InstanceId [instance]
2. the agent (UserId, else the caller's agent) must exist -> NotExists.UserId [user]
   (no UserId and a caller with no agent             -> Parameter.Blank ["UserId"])
3. the agent must be TALKING                         -> InvalidOperation.UserState [actual, "TALKING"]
4. a JobId given must exist in the instance and be the agent's current call -> NotExists.JobId [job]
5. a ChannelId given must be a channel of that call  -> NotExists.ChannelId [channel, job];
   without ChannelId the agent's own channel is the target
6. the target channel must be ANSWERED               -> InvalidOperation.ChannelState [actual, "ANSWERED"]
7. a call whose CTI back end is set to fail fails now -> InternalService.CTI [detail]
Then the flag `MUTED` is removed (unmute; idempotent) or added (mute; idempotent).
"""

from __future__ import annotations

import threading
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from typing import Any

from ccc_mcp.simulator.errors import CccError

TALKING = "TALKING"
ANSWERED = "ANSWERED"
MUTED = "MUTED"


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
    """An agent (CCC user) and what CCC reports about them in a UserContext."""

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


@dataclass(slots=True)
class Instance:
    instance_id: str
    agents: dict[str, Agent] = field(default_factory=dict)
    calls: dict[str, Call] = field(default_factory=dict)


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


class SimulatorState:
    """All instances and credentials, guarded by one lock (the HTTP server and tests share it)."""

    def __init__(self, instances: Iterable[Instance] = (), credentials: Iterable[Credential] = ()) -> None:
        self.lock = threading.RLock()
        self.instances: dict[str, Instance] = {i.instance_id: i for i in instances}
        self.credentials: dict[str, Credential] = {c.access_key_id: c for c in credentials}

    def replace_with(self, other: SimulatorState) -> None:
        """Take over a fresh state's contents (`other` is not used again) in place, so references held by
        tests stay live."""
        with self.lock:
            self.instances = other.instances
            self.credentials = other.credentials

    # -- look-ups ---------------------------------------------------------------------------------

    def credential(self, access_key_id: str) -> Credential | None:
        return self.credentials.get(access_key_id)

    def instance(self, instance_id: str) -> Instance:
        found = self.instances.get(instance_id)
        if found is None:
            raise CccError("NotExists.InstanceId", instance_id)
        return found

    def agent(self, instance: Instance, user_id: str | None, caller: Credential | None = None) -> Agent:
        """The agent named by `user_id`, or (when it is blank) the agent the caller's AccessKey maps to."""
        name = present(user_id) or present(caller.user_id if caller is not None else None)
        if name is None:
            raise CccError("Parameter.Blank", "UserId")
        found = instance.agents.get(name)
        if found is None:
            raise CccError("NotExists.UserId", name)
        return found

    def call(self, instance: Instance, job_id: str) -> Call:
        found = instance.calls.get(job_id)
        if found is None:
            raise CccError("NotExists.JobId", job_id)
        return found

    # -- call control -----------------------------------------------------------------------------

    def locate(
        self,
        *,
        instance_id: str,
        user_id: str | None = None,
        job_id: str | None = None,
        channel_id: str | None = None,
        caller: Credential | None = None,
    ) -> CallTarget:
        """Apply rules 1-7 of the module docstring and return the channel an action would change."""
        instance = self.instance(instance_id)
        agent = self.agent(instance, user_id, caller)
        if agent.state != TALKING:
            raise CccError("InvalidOperation.UserState", agent.state, TALKING)
        call = self._call_of(instance, agent, present(job_id))
        wanted = present(channel_id)
        channel = call.channel(wanted) if wanted is not None else call.channel_of(agent.user_id)
        if channel is None:
            raise CccError("NotExists.ChannelId", wanted or "", call.job_id)
        if channel.state != ANSWERED:
            raise CccError("InvalidOperation.ChannelState", channel.state, ANSWERED)
        if call.cti_error is not None:
            raise CccError("InternalService.CTI", call.cti_error)
        return CallTarget(instance, agent, call, channel)

    def _call_of(self, instance: Instance, agent: Agent, job_id: str | None) -> Call:
        """The call named by JobId, which must be the agent's current one; else the agent's call."""
        if job_id is None:
            if agent.job_id is None:
                raise CccError("NotExists.JobId", "")
            return self.call(instance, agent.job_id)
        call = self.call(instance, job_id)
        if agent.job_id != job_id or call.channel_of(agent.user_id) is None:
            raise CccError("NotExists.JobId", job_id)
        return call

    def set_muted(
        self,
        muted: bool,
        *,
        instance_id: str,
        user_id: str | None = None,
        job_id: str | None = None,
        channel_id: str | None = None,
        caller: Credential | None = None,
    ) -> CallTarget:
        """MuteCall (`muted=True`) or UnmuteCall (`muted=False`); both are idempotent."""
        with self.lock:
            target = self.locate(
                instance_id=instance_id, user_id=user_id, job_id=job_id, channel_id=channel_id, caller=caller
            )
            flags = target.channel.flags
            if muted and MUTED not in flags:
                flags.append(MUTED)
            elif not muted and MUTED in flags:
                flags.remove(MUTED)
            return target

    def get_user(
        self,
        *,
        instance_id: str,
        user_id: str | None = None,
        extension: str | None = None,
        caller: Credential | None = None,
    ) -> tuple[Instance, Agent]:
        """GetUser: by UserId, else by Extension, else the caller's agent."""
        with self.lock:
            instance = self.instance(instance_id)
            by_extension = present(extension)
            if present(user_id) is None and by_extension is not None:
                for agent in instance.agents.values():
                    if agent.extension == by_extension:
                        return instance, agent
                raise CccError("NotExists.UserId", by_extension)
            return instance, self.agent(instance, user_id, caller)

    # -- inspection -------------------------------------------------------------------------------

    def snapshot(self) -> dict[str, Any]:
        """Everything as plain JSON-able data, secrets left out (the admin endpoint serves this)."""
        with self.lock:
            return {
                "instances": [
                    {
                        "instance_id": inst.instance_id,
                        "agents": [asdict(a) for a in inst.agents.values()],
                        "calls": [asdict(c) for c in inst.calls.values()],
                    }
                    for inst in self.instances.values()
                ],
                "credentials": [
                    {
                        "access_key_id": c.access_key_id,
                        "user_id": c.user_id,
                        "sts": c.security_token is not None,
                        "disabled": c.disabled,
                    }
                    for c in self.credentials.values()
                ],
            }
