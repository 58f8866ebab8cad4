"""`list_agents`: the CCC action ListRealtimeAgentStates as an MCP tool — find an agent and see who is free.

ListRealtimeAgentStates speaks its own state words (`Talking`, `ACW`); the tool speaks the UserState words
the other tools return (`TALKING`, `WORKING`) both ways, so a model never meets two vocabularies. Its state
filter travels in a signed form body, not the query.
"""

from __future__ import annotations

import json
from typing import Annotated, Literal

from mcp_types import ToolAnnotations
from pydantic import Field, ValidationError

from ccc_mcp.api.errors import describe as error
from ccc_mcp.api.models import RealtimeAgentState, RealtimeAgentStatesPage
from ccc_mcp.tools.arguments import Identifier, ToolArguments
from ccc_mcp.tools.base import ToolCall, ToolSpec
from ccc_mcp.tools.call_control import instance_id_field
from ccc_mcp.tools.guidance import Guide
from ccc_mcp.tools.results import AgentListResult, AgentSummary

__all__ = ["LIST_AGENTS"]

AgentState = Literal["READY", "TALKING", "WORKING", "BREAK", "RINGING", "DIALING", "OFFLINE"]

# UserState word -> the word ListRealtimeAgentStates uses for it (reference: the pairs of Chinese labels match)
TO_LIST_STATE: dict[str, str] = {
    "READY": "Ready",
    "TALKING": "Talking",
    "WORKING": "ACW",
    "BREAK": "Break",
    "RINGING": "Ringing",
    "DIALING": "Dialing",
    "OFFLINE": "Offline",
}
FROM_LIST_STATE = {word.upper(): state for state, word in TO_LIST_STATE.items()}
MAX_PAGE = 100  # CCC accepts PageNumber and PageSize 1-100
DEFAULT_PAGE_SIZE = 20


class ListAgentsArguments(ToolArguments):
    """Filters and paging of ListRealtimeAgentStates."""

    instance_id: Identifier | None = instance_id_field()
    query: Identifier | None = Field(
        None,
        description="Part of an agent's display name, employee number or extension; matches partially, e.g. "
        "\"Wang\" or \"8006\". Omit it to list every agent.",
        examples=["Wang"],
    )
    states: Annotated[list[AgentState], Field(min_length=1, max_length=7)] | None = Field(
        None,
        description="Only agents in these states. READY: free for calls; TALKING: on a call; RINGING; DIALING; "
        "WORKING: after-call work; BREAK; OFFLINE. Omit it for agents in any state.",
        examples=[["TALKING"]],
    )
    skill_group_id: Identifier | None = Field(
        None, description="Only agents of this skill group. Omit it for every group.", examples=["skillgroup@ccc-test"]
    )
    page: int | None = Field(
        None, ge=1, le=MAX_PAGE, description="Which page of matches to return, from 1. Default 1.", examples=[1]
    )
    page_size: int | None = Field(
        None,
        ge=1,
        le=MAX_PAGE,
        description=f"How many agents a page holds, 1 to {MAX_PAGE}. Default {DEFAULT_PAGE_SIZE}.",
        examples=[DEFAULT_PAGE_SIZE],
    )


def describe(guide: Guide) -> str:
    status = guide.mention(
        "get_agent_status", "To see an agent's call and its channels, call get_agent_status with their user_id."
    )
    return (
        "Find agents of Alibaba Cloud Contact Center (CCC) and see their live state: search by part of a name, "
        "employee number or extension, filter by state or skill group, page through the rest.\n\n"
        "Use it to turn \"Wang\" or \"extension 8006\" into the user_id every other tool needs, or to see who is "
        f"on a call, free or on break. It only reads; it changes nothing.{status}\n\n"
        "The result has ok, CCC's request_id, agents (user_id, name, extension, state, seconds in that state, "
        "call type, skill groups), total, page, page_size and next_page (null on the last page). On failure ok "
        "is false and error gives CCC's code, whether retrying can help and a hint."
    )


def _summary(row: RealtimeAgentState) -> AgentSummary:
    raw = row.state
    return AgentSummary(
        user_id=row.agent_id,
        name=row.agent_name,
        extension=row.extension,
        state=FROM_LIST_STATE.get(raw.upper(), raw) if raw else raw,
        raw_state=raw,
        sub_state=row.state_code,
        seconds_in_state=row.duration,
        call_type=row.call_type,
        break_code=row.break_code,
        work_mode=row.work_mode,
        skill_group_ids=row.skill_group_id_list,
        skill_group_names=row.skill_group_name_list,
    )


async def run(call: ToolCall[ListAgentsArguments]) -> AgentListResult:
    args = call.args
    page, size = args.page or 1, args.page_size or DEFAULT_PAGE_SIZE
    query = {"PageNumber": str(page), "PageSize": str(size), "Query": args.query, "SkillGroupId": args.skill_group_id}
    states = json.dumps([TO_LIST_STATE[state] for state in args.states]) if args.states else None
    outcome = await call.ccc("ListRealtimeAgentStates", query, form={"StateList": states})
    if outcome.error is not None:
        return AgentListResult(ok=False, request_id=outcome.request_id, error=outcome.error)
    try:
        data = RealtimeAgentStatesPage.model_validate(outcome.data or {})
    except ValidationError:
        failure = error("Response.Malformed", "CCC answered OK but its agent list could not be read.")
        return AgentListResult(ok=False, request_id=outcome.request_id, error=failure)
    total = data.total_count if data.total_count is not None else len(data.rows)
    more = page * size < total and page < MAX_PAGE
    return AgentListResult(
        ok=True,
        request_id=outcome.request_id,
        agents=[_summary(row) for row in data.rows],
        total=total,
        page=page,
        page_size=size,
        next_page=page + 1 if more else None,
    )


LIST_AGENTS = ToolSpec(
    name="list_agents",
    title="List agents",
    describe=describe,
    arguments=ListAgentsArguments,
    result=AgentListResult,
    annotations=ToolAnnotations(
        title="List agents", read_only_hint=True, destructive_hint=False, idempotent_hint=True, open_world_hint=True
    ),
    run=run,
    access="read",
)
