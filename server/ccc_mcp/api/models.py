"""Pydantic models of what crosses the API boundary: contexts, list rows, envelopes and errors.

Contexts are snake_case in Python, with aliases to the API's PascalCase so the models parse the wire; they
are faithful to it (what a model reads is built from them by `tools/picture.py`). Enumerations are plain
strings on purpose: CCC adds states and call types over time, and an unseen `UserState` must never break
parsing. Unknown fields are kept.
"""

from __future__ import annotations

import re
from typing import Annotated, Any

from pydantic import AliasChoices, AliasGenerator, BaseModel, BeforeValidator, ConfigDict, Field, PrivateAttr
from pydantic.alias_generators import to_pascal

__all__ = [
    "ApiEnvelope",
    "CallContext",
    "CallControlData",
    "ChannelContext",
    "ErrorInfo",
    "RealtimeAgentState",
    "RealtimeAgentStatesPage",
    "UserContext",
    "UserRecord",
    "UsersPage",
    "parse_channel_flags",
]


def _none_is_empty(value: object) -> object:
    """CCC may send `null` for an empty list; it must read as empty, not fail the whole answer."""
    return [] if value is None else value


NullIsEmpty = BeforeValidator(_none_is_empty)


class _WireModel(BaseModel):
    """Parses PascalCase, accepts snake_case, keeps unknown fields, serialises snake_case."""

    model_config = ConfigDict(
        alias_generator=AliasGenerator(validation_alias=to_pascal),
        validate_by_name=True,
        validate_by_alias=True,
        extra="allow",
        json_schema_serialization_defaults_required=True,
        defer_build=True,  # built on first use, not before the first tools/list (architecture.md §4)
    )


def parse_channel_flags(raw: str | None) -> list[str] | None:
    """CCC's one-string flag set as a list. CCC spells it several ways ("[MUTED]", "MUTED",
    "[HOLD, MUTED]", "HOLD,MUTED", "[]", ""), so brackets and any comma/space separation are accepted.
    None (not sent) stays None: the HoldCall and RetrieveCall answers carry no flags at all, and "not
    reported" must not read as "no flags"."""
    if raw is None:
        return None
    names: list[str] = []
    for part in re.split(r"[\s,;|]+", raw.strip().strip("[]").upper()):
        if part and part not in names:
            names.append(part)
    return names


class ChannelContext(_WireModel):
    """One leg of a call: the agent's, the customer's, a supervisor's..."""

    index: int | None = Field(None, description="Position of the channel in the call (1, 2, ...).")
    channel_id: str | None = Field(
        None, description="The channel's id; pass it as channel_id to act on this leg of the call."
    )
    channel_state: str | None = Field(
        None,
        description="The leg's connection state: CREATED, RINGING, EARLY_MEDIA (early media, not answered "
        "yet), ANSWERED (connected), RELEASED (hung up), RETIRED, NONE; other values may appear. Hold and "
        "mute are never states: see flags.",
    )
    channel_flags: str | None = Field(
        None,
        description="The flags exactly as CCC wrote them, e.g. \"[MUTED]\" or \"HOLD,MUTED\"; read flags "
        "instead. Null when CCC did not report flags.",
    )
    call_type: str | None = Field(None, description="The call's type as seen on this leg (see call_context.call_type).")
    job_id: str | None = Field(None, description="The call (job) this channel belongs to.")
    user_id: str | None = Field(
        None, description="The agent on this channel; empty or null on the customer's (or an outside party's) leg."
    )
    user_extension: str | None = Field(None, description="The agent's extension on this leg, if any.")
    skill_group_id: str | None = Field(None, description="The skill group the call was routed through, if any.")
    originator: str | None = Field(None, description="The calling number or extension of this leg.")
    destination: str | None = Field(None, description="The called number or extension of this leg.")
    release_initiator: str | None = Field(None, description="Who hung up this leg, once it is released.")
    release_reason: str | None = Field(None, description="Why this leg was released, once it is.")
    timestamp: int | None = Field(
        None, description="When this leg's state or flags last changed, in milliseconds since the Unix epoch."
    )
    channel_variables: str | None = Field(
        None, description="Data carried with this leg, as CCC sent it (may be absent)."
    )

    @property
    def flags(self) -> list[str] | None:
        """The flags as a list (MUTED, HOLD, ...): [] when none is set, None when CCC did not report flags."""
        return parse_channel_flags(self.channel_flags)


class CallContext(_WireModel):
    """The call (job) and its channels as CCC sees them after the action."""

    call_type: str | None = Field(
        None,
        description="INBOUND, OUTBOUND, INTERNAL, BARGE, CONSULTANT, CONFERENCE, MONITOR, INTERCEPT, "
        "BACK2BACK, PREDICTIVE, COACH; other values may appear.",
    )
    instance_id: str | None = Field(None, description="The CCC instance of the call.")
    job_id: str | None = Field(None, description="The call's id (CCC calls a call a job).")
    call_variables: str | None = Field(None, description="Data carried with the call, as CCC sent it (may be absent).")
    channel_contexts: Annotated[list[ChannelContext], NullIsEmpty] = Field(
        default_factory=list, description="Every leg of the call: the agent's, the customer's and any other party's."
    )


class ParallelJob(_WireModel):
    """A further call the agent is involved in at the same time (PollUserStatus only)."""

    job_id: str | None = Field(None, description="The other call's id.")
    status: str | None = Field(None, description="RINGING, TALKING, RELEASED or MISSED; other values may appear.")
    timestamp: int | None = Field(None, description="When that status began, in milliseconds since the Unix epoch.")


class UserContext(_WireModel):
    """The agent's state after the action."""

    user_id: str | None = Field(None, description="The agent's user id (name@instance).")
    user_state: str | None = Field(
        None,
        description="The agent's state: READY (free for calls), TALKING (on a call), RINGING, DIALING, WORKING "
        "(after-call work), BREAK, OFFLINE; other values may appear. Only TALKING agents have a call to act on.",
    )
    instance_id: str | None = Field(None, description="The CCC instance of the agent.")
    job_id: str | None = Field(None, description="The agent's current call; empty or null when not on a call.")
    device_id: str | None = Field(None, description="The agent's signed-in device (workbench or phone).")
    extension: str | None = Field(None, description="The agent's extension number.")
    mobile: str | None = Field(None, description="The agent's mobile number, when one is set.")
    work_mode: str | None = Field(
        None, description="ON_SITE (browser), OFF_SITE (mobile) or OFFICE_PHONE; other values may appear."
    )
    break_code: str | None = Field(
        None, description="Why the agent is on BREAK (e.g. Warm-up, or a code the centre defines); may be empty."
    )
    heartbeat: int | None = Field(
        None, description="The agent's last heartbeat, in milliseconds since the Unix epoch: how fresh this state is."
    )
    reserved: int | None = Field(
        None, description="When the agent was last reserved for an incoming call, in milliseconds since the Unix epoch."
    )
    outbound_scenario: bool | None = Field(None, description="True when the agent is in outbound-only mode.")
    signed_skill_group_id_list: Annotated[list[str], NullIsEmpty] = Field(
        default_factory=list, description="The skill groups the agent is signed in to."
    )
    parallel_job_list: Annotated[list[ParallelJob], NullIsEmpty] = Field(
        default_factory=list, description="Other calls the agent is involved in at the same time (usually empty)."
    )


class CallControlData(_WireModel):
    """`Data` of the call-control actions (UnmuteCall, MuteCall, HoldCall, ...) and of PollUserStatus."""

    call_context: CallContext | None = None
    user_context: UserContext | None = None


class RealtimeAgentState(_WireModel):
    """One row of ListRealtimeAgentStates. Its vocabulary differs from UserContext's (`Talking`, `ACW`)."""

    agent_id: str | None = None
    agent_name: str | None = None
    instance_id: str | None = None
    extension: str | None = None
    mobile: str | None = None
    work_mode: str | None = None
    outbound_scenario: bool | None = None
    skill_group_id_list: Annotated[list[str], NullIsEmpty] = Field(default_factory=list)
    skill_group_name_list: Annotated[list[str], NullIsEmpty] = Field(default_factory=list)
    state: str | None = None
    state_code: str | None = None
    state_time: int | None = None
    duration: int | None = None
    call_type: str | None = None
    counter_party: str | None = None
    break_code: str | None = None


class RealtimeAgentStatesPage(_WireModel):
    """`Data` of ListRealtimeAgentStates: one page of rows and the total."""

    page_number: int | None = None
    page_size: int | None = None
    total_count: int | None = None
    rows: Annotated[list[RealtimeAgentState], NullIsEmpty] = Field(
        default_factory=list, validation_alias="List"
    )


class UserRecord(_WireModel):
    """One row of ListUsers (the agent directory): the fields a search needs."""

    user_id: str | None = None
    login_name: str | None = None
    display_name: str | None = None


class UsersPage(_WireModel):
    """`Data` of ListUsers: one page of the directory and the total."""

    total_count: int | None = None
    rows: Annotated[list[UserRecord], NullIsEmpty] = Field(default_factory=list, validation_alias="List")


class ApiEnvelope(BaseModel):
    """The JSON body of any CCC answer, success or error, or of a gateway error.

    CCC's own envelope has Code/HttpStatusCode/Message/RequestId/Params/Data; the gateway's error body
    has RequestId/HostId/Code/Message/Recommend (and AccessDeniedDetail). One lenient model reads both.
    """

    # Read from JSON bytes (api/client.py): pydantic would keep every string value it reads in its global cache
    # of up to 16,384, and each answer's RequestId and times are new ones (a megabyte and more held). Only the
    # keys, which repeat, are worth keeping.
    model_config = ConfigDict(extra="allow", defer_build=True, cache_strings="keys")

    code: str | None = Field(None, alias="Code")
    http_status_code: int | None = Field(None, alias="HttpStatusCode")
    message: str | None = Field(None, alias="Message")
    request_id: str | None = Field(None, validation_alias=AliasChoices("RequestId", "requestId"))
    params: list[Any] = Field(default_factory=list, alias="Params")
    data: Any = Field(None, alias="Data")
    host_id: str | None = Field(None, alias="HostId")
    recommend: str | None = Field(None, alias="Recommend")
    access_denied_detail: dict[str, Any] | None = Field(None, alias="AccessDeniedDetail")


class ErrorInfo(BaseModel):
    """The `error` member of a tool result: enough for a model to decide what to do next."""

    model_config = ConfigDict(json_schema_serialization_defaults_required=True, defer_build=True)

    code: str = Field(description="CCC's code or a local one.")
    http_status: int | None = Field(description="HTTP status; absent: no answer.")
    message: str = Field(description="What went wrong.")
    params: list[str] = Field(default_factory=list, description="Values in the message.")
    retryable: bool = Field(description="true: repeating may succeed.")
    hint: str = Field(description="What to do next.")

    _final: bool = PrivateAttr(default=False)

    def settle(self, hint: str) -> None:
        """Give the error a hint that says all there is to do ("nothing needs doing"): no next step is added
        to it later, and repeating the same call cannot help."""
        self.hint, self.retryable, self._final = hint, False, True

    @property
    def final(self) -> bool:
        """True when the hint is complete as it is (`settle`)."""
        return self._final
