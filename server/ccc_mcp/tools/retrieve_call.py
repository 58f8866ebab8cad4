"""`retrieve_call`: the CCC action RetrieveCall as an MCP tool (the undo of hold_call)."""

from __future__ import annotations

from mcp_types import ToolAnnotations
from pydantic import Field

from ccc_mcp.tools.arguments import Identifier
from ccc_mcp.tools.base import ToolCall, ToolSpec
from ccc_mcp.tools.call_control import Achieved, CallControlArguments, act, finding, looked_up_job_id, looking
from ccc_mcp.tools.guidance import Guide
from ccc_mcp.tools.resolve import HELD
from ccc_mcp.tools.results import CallControlResult

__all__ = ["RETRIEVE_CALL"]


class RetrieveCallArguments(CallControlArguments):
    """RetrieveCall requires the call and the held channel; the server finds them when omitted."""

    job_id: Identifier | None = looked_up_job_id("job-6582589278232****")
    channel_id: Identifier | None = Field(
        None,
        description="The held party. Omit it to retrieve the one party on hold on the agent's call.",
        examples=["ch:customer:010123****->1318888****:1609255715825:job-6582589278232****"],
    )


EFFECT = "no HOLD in the party's flags"
OFF_HOLD = Achieved("off hold", lambda channel: "HOLD" not in (channel.flags or []))


def describe(guide: Guide) -> str:
    return (
        "Take a held party of a live call off hold in CCC, so they and the agent "
        f"hear each other again.{guide.mention('hold_call', 'It undoes hold_call.')}\n\n"
        f"Name the agent by user_id.{finding(guide)} Omit job_id and channel_id to retrieve the one party on "
        "hold on the agent's current call (resolved says what was chosen); with none or several, nothing changes "
        "and the error lists them. If the party is not on hold, CCC refuses: the hint says nothing needs doing."
        f"{looking(guide, EFFECT)}"
    )


async def run(call: ToolCall[RetrieveCallArguments]) -> CallControlResult:
    return await act(call, "RetrieveCall", needs_job=True, channel_rule=HELD, achieved=OFF_HOLD)


RETRIEVE_CALL = ToolSpec(
    name="retrieve_call",
    title="Retrieve held call",
    describe=describe,
    arguments=RetrieveCallArguments,
    result=CallControlResult,
    annotations=ToolAnnotations(
        title="Retrieve held call",
        read_only_hint=False,
        destructive_hint=False,
        idempotent_hint=True,
        open_world_hint=True,
    ),
    run=run,
    actions=("RetrieveCall", "PollUserStatus"),
)
