"""`unmute_call`: the CCC action UnmuteCall as an MCP tool."""

from __future__ import annotations

from mcp_types import ToolAnnotations
from pydantic import Field

from ccc_mcp.tools.arguments import Identifier
from ccc_mcp.tools.base import ToolCall, ToolSpec
from ccc_mcp.tools.call_control import RESULT_TEXT, CallControlArguments, act, finding, looking
from ccc_mcp.tools.guidance import Guide
from ccc_mcp.tools.results import CallControlResult

__all__ = ["UNMUTE_CALL"]


class UnmuteCallArguments(CallControlArguments):
    """UnmuteCall needs only the agent: CCC finds their call and channel itself (job_id as in the base)."""

    channel_id: Identifier | None = Field(
        None,
        description="The channel to unmute. Omit it to unmute the agent's own channel, which is almost always "
        "what is meant.",
        examples=["ch:user:1390501****->8032****:1609138902226:job-6538214103685****"],
    )


EFFECT = "the agent's channel no longer lists MUTED in flags"


def describe(guide: Guide) -> str:
    return (
        "Unmute an agent on a live call in Alibaba Cloud Contact Center (CCC), so the other party can hear them "
        f"again.{guide.mention('mute_call', 'It undoes mute_call.')}\n\n"
        "Use it when an agent who is on a call (state TALKING) is muted and should be heard again. Name the "
        f"agent with user_id.{finding(guide)} By default it unmutes the agent's own channel of their current "
        "call; job_id names the call explicitly and channel_id another channel of it. Unmuting a line that is "
        "not muted changes nothing, so repeating the call is safe."
        f"{looking(guide, EFFECT)}\n\n"
        "The result has ok, CCC's request_id, call_context (the call and every channel with its state and "
        "flags) and user_context (the agent's state, extension, work mode, skill groups). " + RESULT_TEXT
    )


async def run(call: ToolCall[UnmuteCallArguments]) -> CallControlResult:
    return await act(call, "UnmuteCall", needs_job=False)


UNMUTE_CALL = ToolSpec(
    name="unmute_call",
    title="Unmute call",
    describe=describe,
    arguments=UnmuteCallArguments,
    result=CallControlResult,
    annotations=ToolAnnotations(
        title="Unmute call", read_only_hint=False, destructive_hint=False, idempotent_hint=True, open_world_hint=True
    ),
    run=run,
)
