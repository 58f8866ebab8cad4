"""`unmute_call`: the CCC action UnmuteCall as an MCP tool."""

from __future__ import annotations

from mcp_types import ToolAnnotations
from pydantic import Field

from ccc_mcp.tools.arguments import Identifier
from ccc_mcp.tools.base import ToolCall, ToolSpec
from ccc_mcp.tools.call_control import CallControlArguments, act, finding, looking
from ccc_mcp.tools.guidance import Guide
from ccc_mcp.tools.results import ActionResult

__all__ = ["UNMUTE_CALL"]


class UnmuteCallArguments(CallControlArguments):
    """UnmuteCall needs only the agent: CCC finds their call and channel itself (job_id as in the base)."""

    channel_id: Identifier | None = Field(
        None,
        description="Omit it: CCC unmutes the agent's own channel, the only one mute_call mutes (CCC documents "
        "no other).",
        examples=["ch:user:1390501****->8032****:1609138902226:job-6538214103685****"],
    )


EFFECT = "no MUTED in the agent's flags"


def describe(guide: Guide) -> str:
    return (
        "Unmute an agent on a live call in CCC, so the other party hears them "
        f"again.{guide.mention('mute_call', 'It undoes mute_call.')}\n\n"
        f"Name the agent by user_id.{finding(guide)} Unmuting an agent who is not muted changes nothing, so "
        f"repeating it is safe.{looking(guide, EFFECT)}"
    )


async def run(call: ToolCall[UnmuteCallArguments]) -> ActionResult:
    return await act(call, "UnmuteCall", needs_job=False)


UNMUTE_CALL = ToolSpec(
    name="unmute_call",
    title="Unmute call",
    describe=describe,
    arguments=UnmuteCallArguments,
    result=ActionResult,
    annotations=ToolAnnotations(
        title="Unmute call", read_only_hint=False, destructive_hint=False, idempotent_hint=True, open_world_hint=True
    ),
    run=run,
    actions=("UnmuteCall", "PollUserStatus"),
)
