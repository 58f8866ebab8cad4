"""`get_agent_status`: the CCC action PollUserStatus as an MCP tool — the agent's live state and call.

PollUserStatus is the only CCC action that returns an agent's current call with its channel ids, states
and flags, which is why this tool is both the "look" before acting and the "verify" after.
"""

from __future__ import annotations

from mcp_types import ToolAnnotations

from ccc_mcp.api.models import CallContext
from ccc_mcp.tools.arguments import Identifier, ToolArguments
from ccc_mcp.tools.base import ToolCall, ToolSpec
from ccc_mcp.tools.call_control import finding, from_api, instance_id_field, user_id_field
from ccc_mcp.tools.guidance import Guide
from ccc_mcp.tools.resolve import poll_status
from ccc_mcp.tools.results import AgentStatusResult

__all__ = ["GET_AGENT_STATUS"]


class AgentStatusArguments(ToolArguments):
    """PollUserStatus needs only the agent."""

    instance_id: Identifier | None = instance_id_field()
    user_id: Identifier | None = user_id_field()


def describe(guide: Guide) -> str:
    return (
        "See an agent's live state and current call in Alibaba Cloud Contact Center (CCC): whether they are on "
        "a call, and every channel of it with who is on it, its state and its flags (MUTED, HOLD).\n\n"
        "Use it to look before acting (which call, which channel, is anyone muted or held?) and to confirm the "
        f"effect after unmuting, muting, holding or retrieving. Name the agent with user_id.{finding(guide)} It mutes, "
        "holds or changes nothing. CCC classes the underlying action (PollUserStatus) as read-and-write because "
        "agent workbenches poll it to stay in sync; CCC does not document recording anything for a poll.\n\n"
        "The result has ok, CCC's request_id, on_call, user_context (state, current job_id, extension, "
        "heartbeat) and call_context (null when the agent is not on a call). On failure ok is false and error "
        "gives CCC's code (e.g. NotExists.UserId for an unknown agent), whether retrying can help and a hint."
    )


def _live(call_context: CallContext | None) -> CallContext | None:
    """CCC may send an empty CallContext for an agent with no call: that is no call."""
    if call_context is None or (not call_context.job_id and not call_context.channel_contexts):
        return None
    return call_context


async def run(call: ToolCall[AgentStatusArguments]) -> AgentStatusResult:
    mapped = from_api(await poll_status(call))
    if not mapped.ok:
        return AgentStatusResult(ok=False, request_id=mapped.request_id, error=mapped.error)
    live = _live(mapped.call_context)
    return AgentStatusResult(
        ok=True,
        request_id=mapped.request_id,
        on_call=live is not None,
        user_context=mapped.user_context,
        call_context=live,
    )


GET_AGENT_STATUS = ToolSpec(
    name="get_agent_status",
    title="Get agent status",
    describe=describe,
    arguments=AgentStatusArguments,
    result=AgentStatusResult,
    annotations=ToolAnnotations(
        title="Get agent status",
        read_only_hint=False,  # CCC classes PollUserStatus read-and-write; see the description
        destructive_hint=False,
        idempotent_hint=True,
        open_world_hint=True,
    ),
    run=run,
    access="read",
)
