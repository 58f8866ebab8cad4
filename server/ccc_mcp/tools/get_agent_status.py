"""`get_agent_status`: the CCC action PollUserStatus as an MCP tool — the agent's live state and call.

PollUserStatus is the only CCC action that returns an agent's current call with its channel ids, states
and flags, which is why this tool is both the "look" before acting and the "verify" after.

It is published as a read (readOnlyHint true, and by --read-only): CCC documents no effect of
PollUserStatus on calls, channels or agent state; agent workbenches poll it to stay in sync, and Alibaba's
API metadata classes it read-and-write without saying why. To a model and to a client's approval prompt it
is a look, not an act (docs/tools.md, "Status reads are reads").
"""

from __future__ import annotations

from mcp_types import ToolAnnotations

from ccc_mcp.api.models import ErrorInfo
from ccc_mcp.tools.arguments import Identifier, ToolArguments
from ccc_mcp.tools.base import ToolCall, ToolSpec
from ccc_mcp.tools.call_control import finding, instance_id_field, read_data, subject_of, user_id_field
from ccc_mcp.tools.guidance import Guide
from ccc_mcp.tools.picture import call_view, user_view
from ccc_mcp.tools.resolve import poll_status
from ccc_mcp.tools.results import AgentStatusResult

__all__ = ["GET_AGENT_STATUS"]


class AgentStatusArguments(ToolArguments):
    """PollUserStatus needs only the agent."""

    instance_id: Identifier | None = instance_id_field()
    user_id: Identifier | None = user_id_field()


def describe(guide: Guide) -> str:
    floor = guide.mention("list_calls", "For the whole floor, use list_calls.")
    return (
        "See an agent's live state and call in CCC: every party on it (agents, outside numbers) with its state "
        "and flags (MUTED, HOLD). It changes nothing.\n\n"
        f"Use it to look before acting and to confirm an action. Name the agent by user_id.{finding(guide)}{floor}"
    )


async def run(call: ToolCall[AgentStatusArguments]) -> AgentStatusResult:
    outcome = await poll_status(call)
    data = read_data(outcome)
    if isinstance(data, ErrorInfo):
        return AgentStatusResult(ok=False, request_id=outcome.request_id, error=data)
    return AgentStatusResult(
        ok=True,
        request_id=outcome.request_id,
        user_context=user_view(data.user_context),
        call_context=call_view(data.call_context, subject=subject_of(data, call)),
    )


GET_AGENT_STATUS = ToolSpec(
    name="get_agent_status",
    title="Get agent status",
    describe=describe,
    arguments=AgentStatusArguments,
    result=AgentStatusResult,
    annotations=ToolAnnotations(
        title="Get agent status",
        read_only_hint=True,  # a look, not an act: see the module docstring
        destructive_hint=False,
        idempotent_hint=True,
        open_world_hint=True,
    ),
    run=run,
    actions=("PollUserStatus",),
    access="read",
)
