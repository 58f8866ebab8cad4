"""The CCC actions the simulator implements, and the envelopes they answer with.

Each action is one small function registered under its API name: it reads its parameters, asks the
state machine (`state.py`) to act, and returns `Data`. Adding an action means adding one function here.

Parameter rules shared by all actions: a required parameter that is missing, empty or whitespace only is
`Parameter.Blank` with params [name]; an optional id that is blank counts as omitted.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping
from typing import Any

from ccc_mcp.simulator.errors import CccError, GatewayError
from ccc_mcp.simulator.state import Agent, Call, CallTarget, Credential, SimulatorState, is_blank

API_VERSION = "2020-07-01"

Params = Mapping[str, str]
Handler = Callable[[SimulatorState, Params, Credential], dict[str, Any]]

ACTIONS: dict[str, Handler] = {}


def action(name: str) -> Callable[[Handler], Handler]:
    """Register a handler under its API action name."""

    def register(handler: Handler) -> Handler:
        ACTIONS[name] = handler
        return handler

    return register


def required(params: Params, name: str) -> str:
    value = params.get(name)
    if value is None or is_blank(value):
        raise CccError("Parameter.Blank", name)
    return value


# -- contexts (PascalCase, as on the wire; absent values are left out) -----------------------------


def _compact(fields: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in fields.items() if value is not None}


def call_context(instance_id: str, call: Call) -> dict[str, Any]:
    return {
        "CallType": call.call_type,
        "InstanceId": instance_id,
        "JobId": call.job_id,
        "ChannelContexts": [
            _compact({
                "Index": index,
                "ChannelId": ch.channel_id,
                "ChannelState": ch.state,
                "ChannelFlags": ",".join(ch.flags),
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


def user_context(instance_id: str, agent: Agent) -> dict[str, Any]:
    return _compact({
        "UserId": agent.user_id,
        "UserState": agent.state,
        "InstanceId": instance_id,
        "JobId": agent.job_id,
        "DeviceId": agent.device_id,
        "Extension": agent.extension,
        "Mobile": agent.mobile,
        "WorkMode": agent.work_mode,
        "BreakCode": agent.break_code,
        "Heartbeat": agent.heartbeat,
        "OutboundScenario": agent.outbound_scenario,
        "SignedSkillGroupIdList": list(agent.skill_groups),
    })


def _call_control_data(target: CallTarget) -> dict[str, Any]:
    instance_id = target.instance.instance_id
    return {"CallContext": call_context(instance_id, target.call),
            "UserContext": user_context(instance_id, target.agent)}


# -- actions ---------------------------------------------------------------------------------------


def _set_muted(state: SimulatorState, params: Params, caller: Credential, muted: bool) -> dict[str, Any]:
    with state.lock:  # build the contexts from the state exactly as the action left it
        target = state.set_muted(
            muted,
            instance_id=params["InstanceId"],
            user_id=params.get("UserId"),
            job_id=params.get("JobId"),
            channel_id=params.get("ChannelId"),
            caller=caller,
        )
        return _call_control_data(target)


@action("UnmuteCall")
def unmute_call(state: SimulatorState, params: Params, caller: Credential) -> dict[str, Any]:
    """UnmuteCall: InstanceId*, UserId, DeviceId (ignored), JobId, ChannelId. Idempotent."""
    required(params, "InstanceId")
    return _set_muted(state, params, caller, muted=False)


@action("MuteCall")
def mute_call(state: SimulatorState, params: Params, caller: Credential) -> dict[str, Any]:
    """MuteCall: InstanceId*, JobId*, UserId, DeviceId (ignored), ChannelId. Idempotent."""
    required(params, "InstanceId")
    required(params, "JobId")
    return _set_muted(state, params, caller, muted=True)


@action("GetUser")
def get_user(state: SimulatorState, params: Params, caller: Credential) -> dict[str, Any]:
    """GetUser: InstanceId*, UserId, Extension. Data is the agent's UserContext, plus the profile fields
    the SDK's GetUser model reads (LoginName, DisplayName, RoleId)."""
    instance_id = required(params, "InstanceId")
    with state.lock:
        instance, agent = state.get_user(
            instance_id=instance_id, user_id=params.get("UserId"), extension=params.get("Extension"),
            caller=caller,
        )
        login = agent.user_id.split("@", 1)[0]
        return {**user_context(instance.instance_id, agent), "LoginName": login, "DisplayName": login,
                "RoleId": "Agent"}


# -- envelopes -------------------------------------------------------------------------------------


def new_request_id() -> str:
    """Upper-case UUID, like the API page's sample RequestId."""
    return str(uuid.uuid4()).upper()


def success_envelope(request_id: str, data: Any) -> dict[str, Any]:
    return {"Code": "OK", "HttpStatusCode": 200, "Message": "", "RequestId": request_id, "Params": [],
            "Data": data}


def ccc_error_envelope(request_id: str, error: CccError) -> dict[str, Any]:
    return {"Code": error.code, "HttpStatusCode": error.status, "Message": error.message,
            "RequestId": request_id, "Params": list(error.params)}


def gateway_error_body(request_id: str, host_id: str, error: GatewayError) -> dict[str, Any]:
    return {
        "RequestId": request_id,
        "HostId": host_id,
        "Code": error.code,
        "Message": error.message,
        "Recommend": f"https://api.aliyun.com/troubleshoot?q={error.code}&product=Ccc&requestId={request_id}",
    }
