"""`hold_call`: the CCC action HoldCall as an MCP tool (retrieve_call undoes it)."""

from __future__ import annotations

from mcp_types import ToolAnnotations
from pydantic import Field

from ccc_mcp.tools.arguments import Identifier
from ccc_mcp.tools.base import ToolCall, ToolSpec
from ccc_mcp.tools.call_control import Achieved, CallControlArguments, act, finding, looked_up_job_id, looking
from ccc_mcp.tools.guidance import Guide
from ccc_mcp.tools.resolve import LIVE_OTHER_PARTY
from ccc_mcp.tools.results import CallControlResult

__all__ = ["HOLD_CALL"]


class HoldCallArguments(CallControlArguments):
    """HoldCall requires the call and the channel; the server finds them when omitted."""

    job_id: Identifier | None = looked_up_job_id("job-6582589278232****")
    channel_id: Identifier | None = Field(
        None,
        description="The party to hold. Omit it to hold the other party of the agent's call, when there is one.",
        examples=["ch:customer:010123****->1318888****:1609255715825:job-6582589278232****"],
    )
    music: Identifier | None = Field(
        None, description="Hold music to play. Omit it for the centre's default.", examples=["hold-music-1"]
    )


EFFECT = "HOLD in the party's flags"
ON_HOLD = Achieved("on hold", lambda channel: "HOLD" in (channel.flags or []))


def describe(guide: Guide) -> str:
    return (
        "Put a party of a live call on hold in CCC: they hear hold music."
        f"{guide.mention('retrieve_call', 'retrieve_call takes them off hold.')}\n\n"
        f"Name the agent by user_id.{finding(guide)} Omit job_id and channel_id to hold the one other party of "
        "the agent's current call (resolved says what was chosen); with none or several, nothing is held and the "
        "error lists them. If the party is already on hold, CCC may refuse: the hint says nothing needs doing."
        f"{looking(guide, EFFECT)}"
    )


async def run(call: ToolCall[HoldCallArguments]) -> CallControlResult:
    return await act(
        call,
        "HoldCall",
        needs_job=True,
        channel_rule=LIVE_OTHER_PARTY,
        extra={"Music": call.args.music},
        achieved=ON_HOLD,
    )


HOLD_CALL = ToolSpec(
    name="hold_call",
    title="Hold call",
    describe=describe,
    arguments=HoldCallArguments,
    result=CallControlResult,
    annotations=ToolAnnotations(
        title="Hold call", read_only_hint=False, destructive_hint=False, idempotent_hint=True, open_world_hint=True
    ),
    run=run,
    actions=("HoldCall", "PollUserStatus"),
)
