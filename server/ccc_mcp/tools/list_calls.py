"""`list_calls`: the whole floor in one call — every live call of an instance with every party on it, read
from ListRealtimeAgentStates (the agents on a call) and one PollUserStatus per live call.

CCC has no action that lists calls, so a floor question ("who is muted right now?") would otherwise cost a
model one status read per agent. The tool pages the agents on a call (TALKING, RINGING or DIALING: those
with a live call), then reads their status through the bounded fan-out (`tools/fanout.py`), filters the
calls, and answers one page of them in the call picture (`tools/picture.py`), each agent with their name.
A partial answer says so and why; an agent whose status could not be read is listed with the reason.
"""

from __future__ import annotations

import asyncio
import math
import time
from typing import Annotated, Any, Literal

from mcp_types import ToolAnnotations
from pydantic import Field

from ccc_mcp.api.errors import describe as error
from ccc_mcp.api.models import CallContext, RealtimeAgentState
from ccc_mcp.tools.agent_search import MAX_PAGE, AgentFilter, Failed, Listed, agents_page, ids_by_login
from ccc_mcp.tools.arguments import Identifier, ToolArguments
from ccc_mcp.tools.base import ToolCall, ToolSpec
from ccc_mcp.tools.call_control import instance_id_field
from ccc_mcp.tools.fanout import Fanout, Scan
from ccc_mcp.tools.guidance import Guide
from ccc_mcp.tools.picture import call_view
from ccc_mcp.tools.results import CallListResult

__all__ = ["LIST_CALLS"]

ON_A_CALL = ("Talking", "Ringing", "Dialing")  # the list words of the states with a live call
Flag = Literal["MUTED", "HOLD", "MONITORED", "MONITORING", "COACHED", "COACHING"]
DEFAULT_LIMIT = 20
MAX_LIMIT = 100


class ListCallsArguments(ToolArguments):
    """Filters of the floor's calls, and paging."""

    instance_id: Identifier | None = instance_id_field()
    flags: Annotated[list[Flag], Field(min_length=1, max_length=6)] | None = Field(
        None, description="Only calls with a party flagged any of these.", examples=[["MUTED"]]
    )
    skill_group_id: Identifier | None = Field(
        None, description="Only calls of agents in this skill group.", examples=["skillgroup@ccc-test"]
    )
    query: Identifier | None = Field(
        None, description="Only calls of agents found by this, as list_agents' query.", examples=["Wang"]
    )
    min_parties: int | None = Field(
        None, ge=1, le=MAX_PAGE, description="Only calls with at least this many parties.", examples=[3]
    )
    limit: int | None = Field(
        None, ge=1, le=MAX_LIMIT, description=f"Most calls per answer. Default {DEFAULT_LIMIT}.", examples=[20]
    )
    cursor: Identifier | None = Field(None, description="next_cursor of the previous answer.", examples=["job-42"])


def describe(guide: Guide) -> str:
    status = guide.mention("get_agent_status", "For one agent, get_agent_status is cheaper.")
    return (
        "List the live calls of a CCC floor with every party, its state and flags (MUTED, HOLD): who is muted, "
        f"who holds a customer, which calls have three parties. It changes nothing.{status}\n\n"
        "A large floor takes seconds; when not every agent could be read, partial says why."
    )


async def run(call: ToolCall[ListCallsArguments]) -> CallListResult:
    args = call.args
    as_of = int(time.time() * 1000)
    fan = Fanout(call, call.pacer)
    listed = await _agents_on_calls(call, fan)
    if isinstance(listed, Failed):
        return CallListResult(ok=False, request_id=listed.request_id, error=listed.error)
    request_id, rows, capped = listed
    await fan.poll_all(rows)
    names = {row.agent_id: row.agent_name for row in rows if row.agent_id and row.agent_name}
    matching = [(job, context) for job, context in sorted(fan.scan.calls.items()) if _matches(context, args)]
    page = [(job, context) for job, context in matching if args.cursor is None or job > args.cursor]
    limit = args.limit or DEFAULT_LIMIT
    shown = page[:limit]
    return CallListResult(
        ok=True,
        request_id=request_id,
        calls=[view for _, context in shown if (view := call_view(context, names=names)) is not None],
        agents=len(rows),
        found=len(fan.scan.calls),
        matched=len(matching),
        as_of=as_of,
        unread=_unread(fan.scan) or None,
        partial=_partial(fan.scan, len(rows), capped),
        next_cursor=shown[-1][0] if len(page) > limit else None,
    )


async def _agents_on_calls(
    call: ToolCall[ListCallsArguments], fan: Fanout
) -> tuple[str | None, list[RealtimeAgentState], str | None] | Failed:
    """Every agent on a call that matches the filters (up to the floor's cap): the first page, then the rest
    at once, each page one request through the fan-out's bounds."""
    args = call.args
    where = AgentFilter(ON_A_CALL, args.skill_group_id)
    first = await fan.send(lambda: agents_page(call, 1, MAX_PAGE, where, query=args.query))
    if first is None:  # not even one request fits in the deadline: CCC's pause after throttling, or a short one
        code, status = ("Throttling", 429) if call.pacer.paused_for() else ("Network.Timeout", None)
        return Failed(None, error(code, f"Nothing was read: {fan.scan.stopped}.", http_status=status))
    if isinstance(first, Listed) and args.query and not first.total:
        ids = await fan.send(lambda: ids_by_login(call, args.query or ""))
        if isinstance(ids, list) and ids:
            first = await fan.send(lambda: agents_page(call, 1, MAX_PAGE, where, ids=ids)) or first
    if isinstance(first, Failed):
        return first
    floor_max = call.settings.floor_max
    wanted = min(first.total, floor_max)
    capped = None
    if first.total > floor_max:
        capped = (
            f"{first.total} agents are on a call; one answer reads at most {floor_max}: narrow it with "
            "skill_group_id or query"
        )
    rest = await _pages(call, fan, range(2, math.ceil(wanted / MAX_PAGE) + 1), where, args.query)
    rows = [*first.data.rows, *rest][:wanted]
    return first.request_id, rows, capped


async def _pages(
    call: ToolCall[Any], fan: Fanout, numbers: range, where: AgentFilter, query: str | None
) -> list[RealtimeAgentState]:
    """Pages 2.. of the agent list, fetched together; a page that fails makes the answer partial."""

    async def fetch(number: int) -> list[RealtimeAgentState]:
        page = await fan.send(lambda: agents_page(call, number, MAX_PAGE, where, query=query))
        if isinstance(page, Failed):
            fan.stop(f"page {number} of the agents on a call could not be read ({page.error.code})")
        return page.data.rows if isinstance(page, Listed) else []

    pages = await asyncio.gather(*(fetch(number) for number in numbers))
    return [row for rows in pages for row in rows]


def _matches(context: CallContext, args: ListCallsArguments) -> bool:
    channels = context.channel_contexts
    if args.min_parties is not None and len(channels) < args.min_parties:
        return False
    wanted = set(args.flags or ())
    return not wanted or any(wanted & set(channel.flags or ()) for channel in channels)


def _partial(scan: Scan, agents: int, capped: str | None) -> str | None:
    """Why the answer may miss calls, in one sentence, or None when every agent on a call was read."""
    reasons = [reason for reason in (capped, scan.stopped) if reason]
    if scan.unread:
        reasons.append(f"{len(scan.unread)} agents' status could not be read (see unread)")
    if missing := agents - scan.read - len(scan.unread):
        reasons.append(f"{missing} of {agents} agents were not read")
    return "; ".join(reasons) or None


def _unread(scan: Scan) -> dict[str, str]:
    return {agent: f"{error.code}: {error.message}" for agent, error in scan.unread.items()}


LIST_CALLS = ToolSpec(
    name="list_calls",
    title="List calls",
    describe=describe,
    arguments=ListCallsArguments,
    result=CallListResult,
    annotations=ToolAnnotations(
        title="List calls", read_only_hint=True, destructive_hint=False, idempotent_hint=True, open_world_hint=True
    ),
    run=run,
    access="read",
    actions=("ListRealtimeAgentStates", "ListUsers", "PollUserStatus"),
)
