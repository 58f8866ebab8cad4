"""The results tools publish: one model per kind of tool, each with `ok`, `request_id` and `error`.

Every answer of a tool, success or failure, is an instance of its result model, so it always conforms to
the tool's published `outputSchema` (several clients validate structured content even on errors). Every
field carries a description: the schema is the only documentation a model reads.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from ccc_mcp.api.models import CallContext, ErrorInfo, UserContext

__all__ = [
    "AgentListResult",
    "AgentStatusResult",
    "AgentSummary",
    "CallControlResult",
    "ErrorInfo",
    "Resolution",
    "ToolResult",
]

_OK = "True when the tool did what was asked; false when error says why not."
_REQUEST_ID = "CCC's id for the request that decided the answer; null when no request was made."
_ERROR = (
    "Why the tool failed, with CCC's code, whether repeating the same call can help, and a hint on what to do "
    "next; null on success."
)


class ToolResult(BaseModel):
    """What every result has: `ok`, `request_id` and `error` come first, each tool's data after them."""

    model_config = ConfigDict(json_schema_serialization_defaults_required=True, defer_build=True)

    ok: bool = Field(description=_OK)
    request_id: str | None = Field(None, description=_REQUEST_ID)
    error: ErrorInfo | None = Field(None, description=_ERROR)


class Resolution(BaseModel):
    """Ids the server looked up because the caller left them out."""

    model_config = ConfigDict(json_schema_serialization_defaults_required=True, defer_build=True)

    job_id: str = Field(description="The call the action was applied to.")
    channel_id: str | None = Field(
        None, description="The channel the action was applied to; null when CCC chose it (the agent's own)."
    )
    how: str = Field(description="How the ids were chosen, in one sentence.")
    request_id: str | None = Field(None, description="CCC's id for the status request that found them.")


class CallControlResult(ToolResult):
    """The answer of a call-control tool (unmute, mute, hold, retrieve)."""

    call_context: CallContext | None = Field(
        None, description="The call and every channel of it after the action; null on failure."
    )
    user_context: UserContext | None = Field(None, description="The agent after the action; null on failure.")
    resolved: Resolution | None = Field(
        None,
        description="Set when the server found the call or channel itself because job_id or channel_id was "
        "omitted, or confirmed the outcome itself after a lost answer: which ids it used and how. Null when "
        "every id came from the caller and CCC's answer was read as sent.",
    )


class AgentStatusResult(ToolResult):
    """The answer of get_agent_status."""

    on_call: bool | None = Field(
        None, description="True when the agent has a live call (then call_context shows it); null on failure."
    )
    user_context: UserContext | None = Field(None, description="The agent's live state; null on failure.")
    call_context: CallContext | None = Field(
        None,
        description="The agent's live call with every channel, its state and flags (muted, held); null when the "
        "agent is not on a call, or on failure.",
    )


class AgentSummary(BaseModel):
    """One agent of list_agents."""

    model_config = ConfigDict(json_schema_serialization_defaults_required=True, defer_build=True)

    user_id: str | None = Field(description="The agent's user id (name@instance): pass it as user_id to other tools.")
    name: str | None = Field(description="The agent's display name.")
    extension: str | None = Field(description="The agent's extension number.")
    state: str | None = Field(
        description="READY, TALKING, RINGING, DIALING, WORKING (after-call work), BREAK or OFFLINE; an unknown "
        "state is passed through as CCC sent it."
    )
    raw_state: str | None = Field(description="The state exactly as CCC's agent list wrote it (e.g. Talking, ACW).")
    sub_state: str | None = Field(
        description="What the agent is doing within the state, e.g. Monitoring, Coached, Consulting; often empty."
    )
    seconds_in_state: int | None = Field(description="How long the agent has been in this state, in seconds.")
    call_type: str | None = Field(
        description="On a call: Inbound, Outbound, Internal, Back2Back, PrivacyDial, Predictive or Conference; "
        "otherwise empty."
    )
    break_code: str | None = Field(description="Why the agent is on BREAK, when they are; otherwise empty.")
    work_mode: str | None = Field(description="ON_SITE, OFF_SITE or OFFICE_PHONE.")
    skill_group_ids: list[str] = Field(description="The agent's skill groups.")
    skill_group_names: list[str] = Field(description="The names of those skill groups, in the same order.")


class AgentListResult(ToolResult):
    """The answer of list_agents: one page of agents."""

    agents: list[AgentSummary] = Field(
        default_factory=list, description="The agents on this page that match; empty on failure or when none match."
    )
    total: int | None = Field(None, description="How many agents match in all pages; null on failure.")
    page: int | None = Field(None, description="This page's number (1 is the first); null on failure.")
    page_size: int | None = Field(None, description="The most agents a page holds; null on failure.")
    next_page: int | None = Field(
        None, description="The page to ask for next to see more matches; null when this is the last page."
    )
