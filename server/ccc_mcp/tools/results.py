"""The results tools publish: one model per kind of tool, each with `ok`, `request_id` and `error`.

Every answer of a tool, success or failure, is an instance of its result model, so it always conforms to
the tool's published `outputSchema` (several clients validate structured content even on errors). A field
whose value is None is left out of the answer (`mcpserver.sdk_tools.to_tool_result`): each optional field's
description says what its absence means. Every field carries a description, kept short: the schema is the
only documentation a model reads, and it pays for every byte.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from ccc_mcp.api.models import ErrorInfo
from ccc_mcp.tools.picture import CallView, UserView

__all__ = [
    "ActionResult",
    "AgentListResult",
    "AgentStatusResult",
    "AgentSummary",
    "CallControlResult",
    "CallListResult",
    "ErrorInfo",
    "ToolResult",
]

_OK = "false: see error."
_REQUEST_ID = "CCC's request id."
_ERROR = "Why it failed."


class ToolResult(BaseModel):
    """What every result has: `ok`, `request_id` and `error` come first, each tool's data after them."""

    model_config = ConfigDict(json_schema_serialization_defaults_required=True, defer_build=True)

    ok: bool = Field(description=_OK)
    request_id: str | None = Field(None, description=_REQUEST_ID)
    error: ErrorInfo | None = Field(None, description=_ERROR)


class ActionResult(ToolResult):
    """The answer of a call-control tool that never looks ids up (unmute_call)."""

    call_context: CallView | None = Field(None, description="The call after the action.")
    user_context: UserView | None = Field(None, description="The agent after the action.")


class CallControlResult(ActionResult):
    """The answer of a call-control tool that may look the call or channel up (mute, hold, retrieve)."""

    resolved: str | None = Field(None, description="The ids the server looked up, and how.")


class AgentStatusResult(ToolResult):
    """The answer of get_agent_status."""

    user_context: UserView | None = Field(None, description="The agent's live state.")
    call_context: CallView | None = Field(None, description="The agent's live call; absent: not on a call.")


class AgentSummary(BaseModel):
    """One agent of list_agents."""

    model_config = ConfigDict(json_schema_serialization_defaults_required=True, defer_build=True)

    user_id: str = Field(description="Pass it as user_id to other tools.")
    name: str | None = Field(None, description="Display name.")
    extension: str | None = Field(None, description="Extension number.")
    state: str | None = Field(
        None,
        description="TALKING (on a call), READY, WORKING (after-call work), BREAK, OFFLINE, ...",
    )
    sub_state: str | None = Field(None, description="Within the state: MONITORING, CONSULTING, COACHED, ...")
    seconds_in_state: int | None = Field(None, description="Seconds since the state began.")
    call_type: str | None = Field(None, description="Type of the agent's call.")
    break_code: str | None = Field(None, description="Why the agent is on BREAK.")
    work_mode: str | None = Field(None, description="ON_SITE, OFF_SITE or OFFICE_PHONE.")
    skill_group_ids: list[str] = Field(description="The agent's skill groups.")
    skill_group_names: list[str] = Field(description="Their names, in the same order.")


class AgentListResult(ToolResult):
    """The answer of list_agents: one page of agents."""

    agents: list[AgentSummary] = Field(default_factory=list, description="This page's matches.")
    total: int | None = Field(None, description="Matches in all pages.")
    page: int | None = Field(None, description="This page's number, from 1.")
    page_size: int | None = Field(None, description="The most agents a page holds.")
    next_page: int | None = Field(None, description="The page to ask for next; absent on the last page.")
    note: str | None = Field(None, description="When nothing matched: what was searched.")


class CallListResult(ToolResult):
    """The answer of list_calls: the floor's live calls that match, one page of them."""

    calls: list[CallView] = Field(default_factory=list, description="Matching calls, by job_id.")
    agents: int | None = Field(None, description="Agents on a call looked at.")
    found: int | None = Field(None, description="Live calls found.")
    matched: int | None = Field(None, description="Calls that match, in all pages.")
    as_of: int | None = Field(None, description="When read, epoch ms.")
    unread: dict[str, str] | None = Field(
        None, description="Agent -> why their status is unread (their call may be missing)."
    )
    partial: str | None = Field(None, description="Why not every agent on a call was read.")
    next_cursor: str | None = Field(None, description="Pass as cursor for more.")
