"""The CCC actions the simulator implements, and the envelopes they answer with.

Each action is one small function registered under its API name: it reads its parameters (`params.py`),
asks the state machine (`state.py`) to act or the directory (`directory.py`) to search, and returns
`Data` built by `contexts.py`. Adding an action means adding one function here.

Parameter rules shared by all actions: a required parameter that is missing, empty or whitespace only is
`Parameter.Blank` with params [name] (`Parameter.Null` for the List* actions, as ListUsers documents);
an optional value that is blank counts as omitted. Parameters may come from the query or a form body.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from ccc_mcp.simulator.centre import Agent, CallTarget, Credential, Instance
from ccc_mcp.simulator.contexts import (
    call_context,
    profile,
    realtime_record,
    user_context,
    user_record,
)
from ccc_mcp.simulator.directory import Page, RealtimeFilter, UserFilter, folded, matching
from ccc_mcp.simulator.params import (
    Params,
    boolean,
    json_list,
    optional,
    page,
    required,
    required_not_null,
)
from ccc_mcp.simulator.state import SimulatorState
from ccc_mcp.simulator.wire_errors import CccError, GatewayError

__all__ = ["ACTIONS", "API_VERSION", "ccc_error_envelope", "gateway_error_body", "new_request_id", "success_envelope"]

API_VERSION = "2020-07-01"
AGENT_ID_LIST_MAX = 20

Handler = Callable[[SimulatorState, Params, Credential], dict[str, Any]]


@dataclass(frozen=True, slots=True)
class ActionSpec:
    """A registered action. `params_in_success` is False where CCC's success body has no `Params`."""

    handler: Handler
    params_in_success: bool = True


ACTIONS: dict[str, ActionSpec] = {}


def action(name: str, *, params_in_success: bool = True) -> Callable[[Handler], Handler]:
    """Register a handler under its API action name."""

    def register(handler: Handler) -> Handler:
        ACTIONS[name] = ActionSpec(handler, params_in_success)
        return handler

    return register


# -- call control ----------------------------------------------------------------------------------


def _call_control_data(state: SimulatorState, target: CallTarget, *, reserved: bool = True) -> dict[str, Any]:
    instance_id = target.instance.instance_id
    return {"CallContext": call_context(instance_id, target.call),
            "UserContext": user_context(instance_id, target.agent, state.now(), reserved=reserved)}


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
        return _call_control_data(state, target, reserved=muted)  # Mute's schema has Reserved; Unmute's not


@action("UnmuteCall")
def unmute_call(state: SimulatorState, params: Params, caller: Credential) -> dict[str, Any]:
    """UnmuteCall: InstanceId*, UserId, DeviceId (ignored), JobId, ChannelId. Idempotent.
    Its UserContext has no `Reserved`, as its documented schema has none."""
    required(params, "InstanceId")
    return _set_muted(state, params, caller, muted=False)


@action("MuteCall")
def mute_call(state: SimulatorState, params: Params, caller: Credential) -> dict[str, Any]:
    """MuteCall: InstanceId*, JobId*, UserId, DeviceId (ignored), ChannelId. Idempotent."""
    required(params, "InstanceId")
    required(params, "JobId")
    return _set_muted(state, params, caller, muted=True)


def _set_held(state: SimulatorState, params: Params, caller: Credential, held: bool) -> dict[str, Any]:
    instance_id = required(params, "InstanceId")
    job_id = required(params, "JobId")
    channel_id = required(params, "ChannelId")
    with state.lock:
        target = state.set_held(
            held, instance_id=instance_id, job_id=job_id, channel_id=channel_id,
            user_id=params.get("UserId"), caller=caller,
        )
        return _call_control_data(state, target)


@action("HoldCall")
def hold_call(state: SimulatorState, params: Params, caller: Credential) -> dict[str, Any]:
    """HoldCall: InstanceId*, JobId*, ChannelId*, UserId, DeviceId (ignored), Music (accepted and ignored:
    no audio is simulated). Adds the HOLD flag to the channel; a repeat is a no-op unless `repeats` is
    "strict"."""
    return _set_held(state, params, caller, held=True)


@action("RetrieveCall")
def retrieve_call(state: SimulatorState, params: Params, caller: Credential) -> dict[str, Any]:
    """RetrieveCall: InstanceId*, JobId*, ChannelId*, UserId, DeviceId (ignored). Removes HOLD; a channel
    that is not held is InvalidOperation.ChannelState [its state, "HOLD"]."""
    return _set_held(state, params, caller, held=False)


# -- reads -----------------------------------------------------------------------------------------


@action("PollUserStatus")
def poll_user_status(state: SimulatorState, params: Params, caller: Credential) -> dict[str, Any]:
    """PollUserStatus: InstanceId*, UserId (else the caller's agent), DeviceId (ignored).

    Data has the agent's UserContext (with `Reserved` and an empty `ParallelJobList`), the CallContext
    of their current call, `ContextId` (the state's revision: it grows with every change) and empty
    `ChatContexts`. With no current call, UserContext has no JobId and CallContext is left out entirely.
    """
    instance_id = required(params, "InstanceId")
    with state.lock:
        instance, agent, call = state.poll_user_status(
            instance_id=instance_id, user_id=params.get("UserId"), caller=caller
        )
        data: dict[str, Any] = {
            "UserContext": {**user_context(instance.instance_id, agent, state.now()), "ParallelJobList": []},
        }
        if call is not None:
            data["CallContext"] = call_context(instance.instance_id, call)
        data["ContextId"] = state.revision
        data["ChatContexts"] = []
        return data


@action("GetUser")
def get_user(state: SimulatorState, params: Params, caller: Credential) -> dict[str, Any]:
    """GetUser: InstanceId*, UserId, Extension. Data is the agent's profile: no state, no job."""
    instance_id = required(params, "InstanceId")
    with state.lock:
        instance, agent = state.get_user(
            instance_id=instance_id, user_id=params.get("UserId"), extension=params.get("Extension"),
            caller=caller,
        )
        return profile(instance, agent)


def _paged(where: Page, total: int, rows: list[dict[str, Any]]) -> dict[str, Any]:
    return {"PageNumber": where.number, "PageSize": where.size, "TotalCount": total, "List": rows}


def _page_of_agents(
    state: SimulatorState, instance_id: str, keep: UserFilter | RealtimeFilter, where: Page,
    row: Callable[[Instance, Agent, int], dict[str, Any]],
) -> dict[str, Any]:
    with state.lock:
        instance = state.instance(instance_id)
        now = state.now()
        agents = matching(instance, keep)
        return _paged(where, len(agents), [row(instance, a, now) for a in where.of(agents)])


@action("ListUsers")
def list_users(state: SimulatorState, params: Params, caller: Credential) -> dict[str, Any]:
    """ListUsers: InstanceId*, PageNumber* and PageSize* (1-100), SearchPattern (login or display name,
    case-insensitive substring), SkillGroupId. Rows in scenario order."""
    instance_id = required_not_null(params, "InstanceId")
    where = page(params)
    keep = UserFilter(search=optional(params, "SearchPattern"), skill_group_id=optional(params, "SkillGroupId"))
    return _page_of_agents(state, instance_id, keep, where, lambda inst, agent, _now: user_record(inst, agent))


def realtime_filter(params: Params) -> RealtimeFilter:
    """ListRealtimeAgentStates' filters; the list filters are JSON array strings (AgentIdList and
    StateList arrive in the form body; the wire layer has merged it into `params`)."""
    return RealtimeFilter(
        agent_ids=folded(json_list(params, "AgentIdList", max_items=AGENT_ID_LIST_MAX)),
        states=folded(json_list(params, "StateList")),
        skill_group_id=optional(params, "SkillGroupId"),
        agent_name=optional(params, "AgentName"),
        query=optional(params, "Query"),
        work_modes=folded(json_list(params, "WorkModeList")),
        call_types=folded(json_list(params, "CallTypeList")),
        outbound_scenario=boolean(params, "OutboundScenario"),
        media_type=optional(params, "MediaType"),
    )


@action("ListRealtimeAgentStates", params_in_success=False)
def list_realtime_agent_states(state: SimulatorState, params: Params, caller: Credential) -> dict[str, Any]:
    """ListRealtimeAgentStates: InstanceId*, PageNumber*, PageSize* (1-100), AgentIdList (<= 20),
    StateList, SkillGroupId, AgentName, Query, WorkModeList, CallTypeList, OutboundScenario, MediaType.
    Its success body has no `Params`."""
    instance_id = required_not_null(params, "InstanceId")
    where = page(params)
    keep = realtime_filter(params)
    return _page_of_agents(state, instance_id, keep, where, realtime_record)


# -- envelopes -------------------------------------------------------------------------------------


def new_request_id() -> str:
    """Upper-case UUID, like the API page's sample RequestId."""
    return str(uuid.uuid4()).upper()


def success_envelope(request_id: str, data: Any, *, params: bool = True) -> dict[str, Any]:
    """CCC's success body; `params=False` leaves `Params` out (ListRealtimeAgentStates has none)."""
    body: dict[str, Any] = {"Code": "OK", "HttpStatusCode": 200, "Message": "", "RequestId": request_id}
    if params:
        body["Params"] = []
    body["Data"] = data
    return body


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
