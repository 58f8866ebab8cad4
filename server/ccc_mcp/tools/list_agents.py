"""`list_agents`: the CCC action ListRealtimeAgentStates as an MCP tool — find an agent and see who is free.

ListRealtimeAgentStates speaks its own words (`Talking`, `ACW`, `Inbound`); the tool speaks the ones the
call picture uses (`TALKING`, `WORKING`, `INBOUND`) both ways, so a model never meets two spellings of a
value. Its state filter travels in a signed form body, not the query.

CCC's `Query` matches display names, employee numbers and extensions, but not the user ids every other tool
takes: when it finds nothing, the query is tried as a login name or user id (ListUsers, then the live
states of the agents it names), so "idle" finds `idle@ccc-demo`.
"""

from __future__ import annotations

from typing import Annotated, Literal

from mcp_types import ToolAnnotations
from pydantic import Field

from ccc_mcp.api.models import RealtimeAgentState
from ccc_mcp.tools.agent_search import MAX_PAGE, SEARCHED, AgentFilter, Failed, Listed, agents_page, ids_by_login
from ccc_mcp.tools.arguments import Identifier, ToolArguments
from ccc_mcp.tools.base import ToolCall, ToolSpec
from ccc_mcp.tools.call_control import instance_id_field
from ccc_mcp.tools.guidance import Guide
from ccc_mcp.tools.results import AgentListResult, AgentSummary

__all__ = ["FROM_LIST_STATE", "LIST_AGENTS", "TO_LIST_STATE", "AgentState", "summary"]

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
DEFAULT_PAGE_SIZE = 20


class ListAgentsArguments(ToolArguments):
    """Filters and paging of ListRealtimeAgentStates."""

    instance_id: Identifier | None = instance_id_field()
    query: Identifier | None = Field(
        None,
        description='Part of a name, employee number, extension or user id, e.g. "Wang", "8006".',
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
    page: int | None = Field(None, ge=1, le=MAX_PAGE, description="Page of matches, from 1. Default 1.", examples=[1])
    page_size: int | None = Field(
        None,
        ge=1,
        le=MAX_PAGE,
        description=f"Agents per page. Default {DEFAULT_PAGE_SIZE}.",
        examples=[DEFAULT_PAGE_SIZE],
    )


def describe(guide: Guide) -> str:
    status = guide.mention("get_agent_status", "get_agent_status shows an agent's call.")
    floor = guide.mention("list_calls", "list_calls shows every live call.")
    return (
        "Find agents of Alibaba Cloud Contact Center (CCC) and their live state, by part of a name, employee "
        "number, extension or user id, by state or skill group; paged. It changes nothing.\n\n"
        f'Use it to turn "Wang" or "8006" into the user_id other tools need.{status}{floor}'
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


async def _by_login(
    call: ToolCall[ListAgentsArguments], page: int, size: int, where: AgentFilter, query: str
) -> Listed | Failed | None:
    """The page of the agents whose user id or login name `query` names, when CCC's search found nobody;
    None when it names nobody either."""
    ids = await ids_by_login(call, query)
    if isinstance(ids, Failed):
        return ids
    return await agents_page(call, page, size, where, ids=ids) if ids else None


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
    where = AgentFilter([TO_LIST_STATE[state] for state in args.states or ()], args.skill_group_id)
    found = await agents_page(call, page, size, where, query=args.query)
    if isinstance(found, Listed) and args.query and not found.total:
        found = await _by_login(call, page, size, where, args.query) or found
    if isinstance(found, Failed):
        return AgentListResult(ok=False, request_id=found.request_id, error=found.error)
    rows = found.data.rows
    more = page * size < found.total and page < MAX_PAGE
    return AgentListResult(
        ok=True,
        request_id=found.request_id,
        agents=[summary(row) for row in rows],
        total=found.total,
        page=page,
        page_size=size,
        next_page=page + 1 if more else None,
        note=None if rows else _nothing_matched(args),
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
