"""The state as CCC's response trees: PascalCase keys, as on the wire; absent values are left out.

One function per tree, shared by every action that answers with it. Call-control answers send the union
of the documented trees (HoldCall/RetrieveCall's schemas lack `ChannelFlags` and `Index`, but the SDK
drops keys it does not know, and one server-side object most likely sits behind all of them).
"""

from __future__ import annotations

from typing import Any

from ccc_mcp.simulator.centre import Agent, Call, Instance
from ccc_mcp.simulator.directory import agent_call_type, realtime_state
from ccc_mcp.simulator.state import SimulatorState

__all__ = ["call_context", "channel_flags_text", "profile", "realtime_record", "user_context", "user_record"]


def compact(fields: dict[str, Any]) -> dict[str, Any]:
    """Leave out the fields that have no value, as CCC's JSON does."""
    return {key: value for key, value in fields.items() if value is not None}


def channel_flags_text(flags: list[str]) -> str:
    """Flags as one string in Java `Set.toString()` style, sorted: `[]`, `[MUTED]`, `[HOLD, MUTED]`.

    CCC types ChannelFlags as a single string and its samples spell it `"[MUTED]"`, `[]` and
    `"MONITORING"`; the simulator always uses the bracketed form of the MuteCall sample.
    """
    return "[" + ", ".join(sorted(flags)) + "]"


def call_context(instance_id: str, call: Call) -> dict[str, Any]:
    return {
        "CallType": call.call_type,
        "InstanceId": instance_id,
        "JobId": call.job_id,
        "ChannelContexts": [
            compact({
                "Index": index,
                "ChannelId": ch.channel_id,
                "ChannelState": ch.state,
                "ChannelFlags": channel_flags_text(ch.flags),
                "CallType": call.call_type,
                "JobId": call.job_id,
                "UserId": ch.user_id,
                "UserExtension": ch.user_extension,
                "SkillGroupId": ch.skill_group_id,
                "Originator": ch.originator,
                "Destination": ch.destination,
                "ReleaseInitiator": ch.release_initiator,
                "ReleaseReason": ch.release_reason,
                "Timestamp": ch.timestamp,
            })
            for index, ch in enumerate(call.channels, start=1)
        ],
    }


def user_context(instance_id: str, agent: Agent, now: int, *, reserved: bool = True) -> dict[str, Any]:
    """The agent's UserContext at `now`. `reserved=False` leaves `Reserved` out (UnmuteCall's schema has
    none; MuteCall, HoldCall, RetrieveCall and PollUserStatus have it)."""
    return compact({
        "UserId": agent.user_id,
        "UserState": agent.state,
        "InstanceId": instance_id,
        "JobId": agent.job_id,
        "DeviceId": agent.device_id,
        "Extension": agent.extension,
        "Mobile": agent.mobile,
        "WorkMode": agent.work_mode,
        "BreakCode": agent.break_code,
        "Heartbeat": SimulatorState.heartbeat_of(agent, now),
        "Reserved": agent.reserved if reserved else None,
        "OutboundScenario": agent.outbound_scenario,
        "SignedSkillGroupIdList": list(agent.skill_groups),
    })


def role_id(instance_id: str, agent: Agent) -> str:
    """`<role>@<instanceId>`, e.g. `Agent@ccc-demo`, as CCC names roles."""
    return f"{agent.role}@{instance_id}"


def _directory_entry(instance: Instance, agent: Agent) -> dict[str, Any]:
    """The fields GetUser's profile and a ListUsers row share, in the API's order."""
    return {
        "UserId": agent.user_id,
        "LoginName": agent.login_name,
        "DisplayName": agent.display_name,
        "DisplayId": agent.display_id,
        "Email": agent.email,
        "Mobile": agent.mobile,
        "Extension": agent.extension,
        "WorkMode": agent.work_mode,
        "RoleId": role_id(instance.instance_id, agent),
        "RoleName": agent.role,
        "DeviceId": agent.device_id,
        "DeviceExt": agent.device_ext,
        "DeviceState": agent.device_state,
    }


def profile(instance: Instance, agent: Agent) -> dict[str, Any]:
    """GetUser's Data: the agent's profile. No live state and no job, as in the real API."""
    return compact({
        **_directory_entry(instance, agent),
        "Nickname": agent.nickname,
        "AvatarUrl": agent.avatar_url,
        "InstanceId": instance.instance_id,
    })


def user_record(instance: Instance, agent: Agent) -> dict[str, Any]:
    """One row of ListUsers: the profile without Nickname/AvatarUrl/InstanceId, plus RAM and skills."""
    return compact({
        **_directory_entry(instance, agent),
        "RamId": agent.ram_id,
        "Primary": agent.primary,
        "PrimaryAccount": agent.primary,
        "PersonalOutboundNumberList": [],
        "SkillLevelList": [
            {
                "SkillGroupId": group,
                "SkillGroupName": instance.skill_group_name(group),
                "SkillLevel": agent.skill_level(group),
            }
            for group in agent.skill_groups
        ],
    })


def realtime_record(instance: Instance, agent: Agent, now: int) -> dict[str, Any]:
    """One row of ListRealtimeAgentStates at `now`: capitalised State, when it began, for how long."""
    return compact({
        "AgentId": agent.user_id,
        "AgentName": agent.display_name,
        "InstanceId": instance.instance_id,
        "Extension": agent.extension,
        "Mobile": agent.mobile,
        "WorkMode": agent.work_mode,
        "OutboundScenario": agent.outbound_scenario,
        "SkillGroupIdList": list(agent.skill_groups),
        "SkillGroupNameList": [instance.skill_group_name(g) for g in agent.skill_groups],
        "State": realtime_state(agent.state),
        "StateCode": agent.state_code,
        "StateTime": agent.state_since,
        "Duration": max(0, (now - agent.state_since) // 1000),
        "CallType": agent_call_type(instance, agent),
        "CounterParty": agent.counter_party,
        "BreakCode": agent.break_code,
    })
