"""The rules of call control in the simulated contact centre: the state machine over the things of
`centre.py` (instances, agents, calls and channels).

Pure and synchronous: nothing here knows about HTTP, signing or JSON, so every rule of the state machine
can be tested by calling a method and looking at the result. Rule violations raise `CccError` with the
exact code and params CCC answers with; the HTTP layer only wraps them in an envelope.

The rules of the call-control family (UnmuteCall, MuteCall, HoldCall, RetrieveCall), checked in this
order (the first that fails decides the answer):

1. the instance must exist                           -> NotExists.InstanceId [instance]
2. the agent (UserId, else the caller's agent) must exist -> NotExists.UserId [user]
   (no UserId and a caller with no agent             -> Parameter.Blank ["UserId"])
3. the agent must be TALKING                         -> InvalidOperation.UserState [actual, "TALKING"]
4. a JobId given must exist in the instance and be the agent's current call -> NotExists.JobId [job]
5. a ChannelId given must be a channel of that call  -> NotExists.ChannelId [channel, job];
   without ChannelId (Unmute/Mute only) the agent's own channel is the target
6. the target channel must be ANSWERED               -> InvalidOperation.ChannelState [actual, "ANSWERED"]
7. the action's own flag precondition:
   RetrieveCall needs the channel to carry HOLD      -> InvalidOperation.ChannelState [state, "HOLD"];
   HoldCall on a held channel, with repeats "strict" -> InvalidOperation.ChannelState ["HOLD", "ANSWERED"]
8. a call whose CTI back end is set to fail fails now -> InternalService.CTI [detail]
Then the flag is added or removed: MUTED (Mute/Unmute, always idempotent) or HOLD (Hold/Retrieve).
Hold and mute are flags, never a channel state or a user state: the agent stays TALKING and the channel
ANSWERED. A change of flags stamps the channel's `timestamp` with the clock's now; a repeat that changes
nothing leaves it alone.

Time: the state owns a clock (epoch ms, see `clock.py`). Heartbeats are derived from it when asked, so
they advance by themselves; each agent's `state_since` says when their current state began.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable
from dataclasses import asdict
from typing import Any, Literal

from ccc_mcp.simulator.centre import (
    ANSWERED,
    HOLD,
    MUTED,
    OFFLINE,
    TALKING,
    Agent,
    Call,
    CallTarget,
    Channel,
    Credential,
    Instance,
    present,
)
from ccc_mcp.simulator.clock import Clock, last_heartbeat, wall_clock
from ccc_mcp.simulator.wire_errors import USER_NOT_IN_INSTANCE, CccError

__all__ = ["Repeats", "SimulatorState"]

Repeats = Literal["noop", "strict"]
"""What HoldCall on an already held channel answers: success changing nothing, or an error."""


class SimulatorState:
    """All instances and credentials, guarded by one lock (the HTTP server and tests share it).

    `clock` is "now" for every answer (epoch ms; wall time unless a test injects a fixed one). `repeats`
    decides what HoldCall on a held channel answers. `revision` counts the changes made since the
    scenario started; PollUserStatus reports it as `ContextId`.
    """

    def __init__(
        self,
        instances: Iterable[Instance] = (),
        credentials: Iterable[Credential] = (),
        *,
        clock: Clock = wall_clock,
        repeats: Repeats = "noop",
    ) -> None:
        self.lock = threading.RLock()
        self.instances: dict[str, Instance] = {i.instance_id: i for i in instances}
        self.credentials: dict[str, Credential] = {c.access_key_id: c for c in credentials}
        self.clock = clock
        self.repeats: Repeats = repeats
        self.revision = 0

    def replace_with(self, other: SimulatorState) -> None:
        """Take over a fresh state's contents (`other` is not used again) in place, so references held by
        tests stay live. The clock is taken over too: a reset never changes what time it is."""
        with self.lock:
            self.instances = other.instances
            self.credentials = other.credentials
            self.clock = other.clock
            self.repeats = other.repeats
            self.revision = other.revision

    # -- time -------------------------------------------------------------------------------------

    def now(self) -> int:
        """The clock's now, in epoch ms."""
        return self.clock()

    @staticmethod
    def heartbeat_of(agent: Agent, now: int) -> int | None:
        """An agent who is not OFFLINE beats every 5 s, so their heartbeat is the last tick before `now`
        (never earlier than the scenario's value); an OFFLINE agent's stays where the scenario left it."""
        if agent.state == OFFLINE:
            return agent.heartbeat
        return max(agent.heartbeat or 0, last_heartbeat(now))

    # -- look-ups ---------------------------------------------------------------------------------

    def credential(self, access_key_id: str) -> Credential | None:
        return self.credentials.get(access_key_id)

    def instance(self, instance_id: str) -> Instance:
        found = self.instances.get(instance_id)
        if found is None:
            raise CccError("NotExists.InstanceId", instance_id)
        return found

    def agent(
        self, instance: Instance, user_id: str | None, caller: Credential | None = None, *, in_instance: bool = False
    ) -> Agent:
        """The agent named by `user_id`, or (when it is blank) the agent the caller's AccessKey maps to.

        An unknown agent is `NotExists.UserId`: with `in_instance`, in the wording Meta gives for
        PollUserStatus (params [user, instance]); without, in the call-control family's ([user]).
        """
        name = present(user_id) or present(caller.user_id if caller is not None else None)
        if name is None:
            raise CccError("Parameter.Blank", "UserId")
        found = instance.agents.get(name)
        if found is None:
            raise _unknown_user(name, instance) if in_instance else CccError("NotExists.UserId", name)
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
        """Apply rules 1-6 and 8 of the module docstring and return the channel an action would change."""
        target = self._resolve(
            instance_id=instance_id, user_id=user_id, job_id=job_id, channel_id=channel_id, caller=caller
        )
        _check_cti(target.call)
        return target

    def _resolve(
        self,
        *,
        instance_id: str,
        user_id: str | None,
        job_id: str | None,
        channel_id: str | None,
        caller: Credential | None,
    ) -> CallTarget:
        """Rules 1-6: the instance, the agent, their state, their call, the channel and its state."""
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

    def _set_flag(self, channel: Channel, flag: str, on: bool) -> None:
        """Add or remove one flag; a real change stamps the channel with now and counts as a revision."""
        if (flag in channel.flags) == on:
            return
        if on:
            channel.flags.append(flag)
        else:
            channel.flags.remove(flag)
        channel.timestamp = self.now()
        self.revision += 1

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
        """MuteCall (`muted=True`) or UnmuteCall (`muted=False`); both are idempotent in every mode."""
        with self.lock:
            target = self.locate(
                instance_id=instance_id, user_id=user_id, job_id=job_id, channel_id=channel_id, caller=caller
            )
            self._set_flag(target.channel, MUTED, muted)
            return target

    def set_held(
        self,
        held: bool,
        *,
        instance_id: str,
        job_id: str,
        channel_id: str,
        user_id: str | None = None,
        caller: Credential | None = None,
    ) -> CallTarget:
        """HoldCall (`held=True`) or RetrieveCall (`held=False`) on one channel of the agent's call.

        Any channel of the call can be held (typically the customer's: the held party hears music).
        Retrieve needs the channel held (documented by CCC); a repeated Hold succeeds changing nothing
        unless the scenario's `repeats` is "strict" (CCC does not document it).
        """
        with self.lock:
            target = self._resolve(
                instance_id=instance_id, user_id=user_id, job_id=job_id, channel_id=channel_id, caller=caller
            )
            channel = target.channel
            if not held and not channel.held:
                raise CccError("InvalidOperation.ChannelState", channel.state, HOLD)
            if held and channel.held and self.repeats == "strict":
                raise CccError("InvalidOperation.ChannelState", HOLD, ANSWERED)
            _check_cti(target.call)
            self._set_flag(channel, HOLD, held)
            return target

    # -- reads ------------------------------------------------------------------------------------

    def poll_user_status(
        self, *, instance_id: str, user_id: str | None = None, caller: Credential | None = None
    ) -> tuple[Instance, Agent, Call | None]:
        """PollUserStatus: the agent (UserId, else the caller's) and their current call, if any.

        Read-only here: whether a real poll counts as presence is undocumented, and heartbeats advance
        with the clock anyway.
        """
        with self.lock:
            instance = self.instance(instance_id)
            agent = self.agent(instance, user_id, caller, in_instance=True)
            return instance, agent, instance.current_call(agent)

    def get_user(
        self,
        *,
        instance_id: str,
        user_id: str | None = None,
        extension: str | None = None,
        caller: Credential | None = None,
    ) -> tuple[Instance, Agent]:
        """GetUser: by UserId, else by Extension, else the caller's agent.

        An unknown user or extension is undocumented for GetUser; the simulator answers NotExists.UserId
        in the wording Meta gives for PollUserStatus ([value, instance]).
        """
        with self.lock:
            instance = self.instance(instance_id)
            by_extension = present(extension)
            if present(user_id) is None and by_extension is not None:
                for agent in instance.agents.values():
                    if agent.extension == by_extension:
                        return instance, agent
                raise _unknown_user(by_extension, instance)
            return instance, self.agent(instance, user_id, caller, in_instance=True)

    # -- inspection -------------------------------------------------------------------------------

    def snapshot(self) -> dict[str, Any]:
        """Everything as plain JSON-able data, secrets left out (the admin endpoint serves this).

        The stored state only, with nothing derived from the clock (an agent's `heartbeat` is the
        scenario's; answers report the live one), so two snapshots of an unchanged state are equal."""
        with self.lock:
            return {
                "repeats": self.repeats,
                "revision": self.revision,
                "instances": [
                    {
                        "instance_id": inst.instance_id,
                        "skill_groups": [asdict(g) for g in inst.skill_groups.values()],
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


def _check_cti(call: Call) -> None:
    """Rule 8: the CTI back end of a call set to fail fails when the action reaches it."""
    if call.cti_error is not None:
        raise CccError("InternalService.CTI", call.cti_error)


def _unknown_user(name: str, instance: Instance) -> CccError:
    return CccError("NotExists.UserId", name, instance.instance_id, template=USER_NOT_IN_INSTANCE)
