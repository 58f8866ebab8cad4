"""`list_agents`: the CCC action ListRealtimeAgentStates as an MCP tool — find an agent and see who is free.

ListRealtimeAgentStates speaks its own words (`Talking`, `ACW`, `Inbound`); the tool speaks the ones the
call picture uses (`TALKING`, `WORKING`, `INBOUND`) both ways, so a model never meets two spellings of a
value. Its state filter travels in a signed form body, not the query.

CCC's `Query` matches display names, employee numbers and extensions, but not the user ids every other tool
takes: when it finds nothing, the query is tried as a login name or user id (ListUsers, then the live
states of the agents it names), so "idle" finds `idle@ccc-demo`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Annotated, Literal

from mcp_types import ToolAnnotations
from pydantic import Field, ValidationError

from ccc_mcp.api.errors import describe as error
from ccc_mcp.api.models import RealtimeAgentState, RealtimeAgentStatesPage, UsersPage
from ccc_mcp.tools.arguments import Identifier, ToolArguments
from ccc_mcp.tools.base import ToolCall, ToolSpec
from ccc_mcp.tools.call_control import instance_id_field
from ccc_mcp.tools.guidance import Guide
from ccc_mcp.tools.results import AgentListResult, AgentSummary

__all__ = ["AGENT_ID_LIST_MAX", "LIST_AGENTS", "MAX_PAGE", "TO_LIST_STATE", "AgentState", "summary"]

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
AGENT_ID_LIST_MAX = 20  # CCC's limit on AgentIdList
SEARCHED = "display name, employee number, extension, login name or user id"


class ListAgentsArguments(ToolArguments):
    """Filters and paging of ListRealtimeAgentStates."""

    instance_id: Identifier | None = instance_id_field()
    query: Identifier | None = Field(
        None,
        description="Part of an agent's display name, employee number, extension, login name or user id, e.g. "
        "\"Wang\" or \"8006\". Omit it to list every agent.",
        examples=["Wang"],
    )
    states: Annotated[list[AgentState], Field(min_length=1, max_length=7)] | None = Field(
        None,
        description="Only agents in these states (WORKING: after-call work). Omit it for any state.",
        examples=[["TALKING"]],
    )
    skill_group_id: Identifier | None = Field(
        None, description="Only agents of this skill group.", examples=["skillgroup@ccc-test"]
    )
    page: int | None = Field(
        None, ge=1, le=MAX_PAGE, description="Page of matches, from 1. Default 1.", examples=[1]
    )
    page_size: int | None = Field(
        None,
        ge=1,
        le=MAX_PAGE,
        description=f"Agents per page. Default {DEFAULT_PAGE_SIZE}.",
        examples=[DEFAULT_PAGE_SIZE],
    )


def describe(guide: Guide) -> str:
    status = guide.mention("get_agent_status", "get_agent_status shows one agent's call, with who is muted or held.")
    floor = guide.mention("list_calls", "list_calls shows every live call at once.")
    return (
        "Find agents of Alibaba Cloud Contact Center (CCC) and their live state: by part of a name, employee "
        "number, extension or user id, by state or skill group; paged. It changes nothing.\n\n"
        "Use it to turn \"Wang\" or \"8006\" into the user_id other tools need, or to see who is on a call, "
        f"free or on break.{status}{floor}"
    )


def summary(row: RealtimeAgentState) -> AgentSummary:
    """One row of CCC's agent list, in the words the other tools use (upper case, UserState's names)."""
    raw = row.state
    return AgentSummary(
        user_id=row.agent_id or "",
        name=row.agent_name or None,
        extension=row.extension or None,
        state=FROM_LIST_STATE.get(raw.upper(), raw.upper()) if raw else None,
        sub_state=row.state_code.upper() if row.state_code else None,
        seconds_in_state=row.duration,
        call_type=row.call_type.upper() if row.call_type else None,
        break_code=row.break_code or None,
        work_mode=row.work_mode or None,
        skill_group_ids=row.skill_group_id_list,
        skill_group_names=row.skill_group_name_list,
    )


@dataclass(frozen=True, slots=True)
class _Page:
    """One page CCC answered: its request id and rows."""

    request_id: str | None
    data: RealtimeAgentStatesPage


async def _agents(
    call: ToolCall[ListAgentsArguments], page: int, size: int, *, query: str | None, ids: list[str] | None = None
) -> _Page | AgentListResult:
    """One ListRealtimeAgentStates page with the call's state and skill-group filters, by `query` or `ids`."""
    args = call.args
    params = {"PageNumber": str(page), "PageSize": str(size), "Query": query, "SkillGroupId": args.skill_group_id}
    states = json.dumps([TO_LIST_STATE[state] for state in args.states]) if args.states else None
    form = {"StateList": states, "AgentIdList": json.dumps(ids) if ids else None}
    outcome = await call.ccc("ListRealtimeAgentStates", params, form=form)
    if outcome.error is not None:
        return AgentListResult(ok=False, request_id=outcome.request_id, error=outcome.error)
    try:
        return _Page(outcome.request_id, RealtimeAgentStatesPage.model_validate(outcome.data or {}))
    except ValidationError:
        failure = error("Response.Malformed", "CCC answered OK but its agent list could not be read.")
        return AgentListResult(ok=False, request_id=outcome.request_id, error=failure)


async def _ids_by_login(call: ToolCall[ListAgentsArguments], query: str) -> list[str] | AgentListResult:
    """The user ids `query` names: itself when it is one (name@instance), else those whose login or display
    name contains it (ListUsers), at most the number CCC's AgentIdList takes."""
    if "@" in query:
        return [query]
    params = {"PageNumber": "1", "PageSize": str(AGENT_ID_LIST_MAX), "SearchPattern": query}
    outcome = await call.ccc("ListUsers", params)
    if outcome.error is not None:
        return AgentListResult(ok=False, request_id=outcome.request_id, error=outcome.error)
    try:
        users = UsersPage.model_validate(outcome.data or {})
    except ValidationError:
        failure = error("Response.Malformed", "CCC answered OK but its user list could not be read.")
        return AgentListResult(ok=False, request_id=outcome.request_id, error=failure)
    return [user.user_id for user in users.rows if user.user_id]


def _nothing_matched(args: ListAgentsArguments) -> str:
    """What an empty answer searched, so a model can widen the right filter."""
    found = f'No agent\'s {SEARCHED} contains "{args.query}"' if args.query else "No agent matched"
    if args.states:
        found += f" in states {', '.join(args.states)}"
    if args.skill_group_id:
        found += f" in skill group {args.skill_group_id}"
    return found + "."


async def run(call: ToolCall[ListAgentsArguments]) -> AgentListResult:
    args = call.args
    page, size = args.page or 1, args.page_size or DEFAULT_PAGE_SIZE
    found = await _agents(call, page, size, query=args.query)
    if isinstance(found, AgentListResult):
        return found
    if args.query and not (found.data.total_count or found.data.rows):
        ids = await _ids_by_login(call, args.query)
        if isinstance(ids, AgentListResult):
            return ids
        if ids:
            found = await _agents(call, page, size, query=None, ids=ids)
            if isinstance(found, AgentListResult):
                return found
    data = found.data
    total = data.total_count if data.total_count is not None else len(data.rows)
    more = page * size < total and page < MAX_PAGE
    return AgentListResult(
        ok=True,
        request_id=found.request_id,
        agents=[summary(row) for row in data.rows],
        total=total,
        page=page,
        page_size=size,
        next_page=page + 1 if more else None,
        note=None if data.rows else _nothing_matched(args),
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
    actions=("ListRealtimeAgentStates", "ListUsers"),
    access="read",
)
