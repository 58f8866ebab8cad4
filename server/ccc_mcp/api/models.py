"""Pydantic models of what crosses the API boundary: contexts, envelopes and the tool's result.

Contexts are snake_case in Python and in the tool's output, with aliases to the API's PascalCase so
the same models parse the wire. Enumerations are plain strings on purpose: CCC adds states and call
types over time, and an unseen `UserState` must never break parsing. Unknown fields are kept.
"""

from __future__ import annotations

from typing import Any

from pydantic import AliasChoices, AliasGenerator, BaseModel, ConfigDict, Field
from pydantic.alias_generators import to_pascal


class _WireModel(BaseModel):
    """Parses PascalCase, accepts snake_case, keeps unknown fields, serialises snake_case."""

    model_config = ConfigDict(
        alias_generator=AliasGenerator(validation_alias=to_pascal),
        validate_by_name=True,
        validate_by_alias=True,
        extra="allow",
        json_schema_serialization_defaults_required=True,
    )


class ChannelContext(_WireModel):
    """One leg of a call: the agent's, the customer's, a supervisor's..."""

    index: int | None = Field(None, description="Auto-increment; safe to ignore.")
    channel_id: str | None = None
    channel_state: str | None = Field(None, description="CREATED, EARLY, ANSWERED, RELEASED, ... (open).")
    channel_flags: str | None = Field(None, description="Flags such as MONITORING or MUTED (open).")
    call_type: str | None = None
    job_id: str | None = None
    user_id: str | None = Field(None, description="The agent on this channel; empty for the customer.")
    user_extension: str | None = None
    skill_group_id: str | None = None
    originator: str | None = None
    destination: str | None = None
    release_initiator: str | None = None
    release_reason: str | None = None
    timestamp: int | None = Field(None, description="Epoch ms of the channel's last state change.")


class CallContext(_WireModel):
    """The call (job) and its channels as CCC sees them after the action."""

    call_type: str | None = Field(None, description="INBOUND, OUTBOUND, INTERNAL, ... (open).")
    instance_id: str | None = None
    job_id: str | None = None
    channel_contexts: list[ChannelContext] = Field(default_factory=list)


class UserContext(_WireModel):
    """The agent's state after the action."""

    user_id: str | None = None
    user_state: str | None = Field(None, description="OFFLINE, READY, BREAK, TALKING, WORKING, ... (open).")
    instance_id: str | None = None
    job_id: str | None = None
    device_id: str | None = None
    extension: str | None = None
    mobile: str | None = None
    work_mode: str | None = Field(None, description="ON_SITE, OFFICE_PHONE, ... (open).")
    break_code: str | None = None
    heartbeat: int | None = Field(None, description="Epoch ms of the agent's last heartbeat.")
    outbound_scenario: bool | None = None
    signed_skill_group_id_list: list[str] = Field(default_factory=list)


class CallControlData(_WireModel):
    """`Data` of the call-control actions (UnmuteCall, MuteCall, HoldCall, ...)."""

    call_context: CallContext | None = None
    user_context: UserContext | None = None


class ApiEnvelope(BaseModel):
    """The JSON body of any CCC answer, success or error, or of a gateway error.

    CCC's own envelope has Code/HttpStatusCode/Message/RequestId/Params/Data; the gateway's error body
    has RequestId/HostId/Code/Message/Recommend (and AccessDeniedDetail). One lenient model reads both.
    """

    model_config = ConfigDict(extra="allow")

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

    model_config = ConfigDict(json_schema_serialization_defaults_required=True)

    code: str = Field(description="The API's code verbatim, or a local code of the same style.")
    http_status: int | None = Field(description="HTTP status of the failed answer; null if none was received.")
    message: str = Field(description="What went wrong, with the values that explain it.")
    params: list[str] = Field(default_factory=list, description="The values that filled the message.")
    retryable: bool = Field(description="True only where repeating the same call can succeed.")
    hint: str = Field(description="What to do next.")


class CallControlResult(BaseModel):
    """Every result of a call-control tool, success or error, has exactly this shape."""

    model_config = ConfigDict(json_schema_serialization_defaults_required=True)

    ok: bool = Field(description="True when the action was applied.")
    request_id: str | None = Field(None, description="The API's RequestId; null when no request was made.")
    call_context: CallContext | None = Field(None, description="The call and its channels after the action.")
    user_context: UserContext | None = Field(None, description="The agent after the action.")
    error: ErrorInfo | None = Field(None, description="Why it failed; null on success.")
