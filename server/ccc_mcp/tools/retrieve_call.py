"""`retrieve_call`: the CCC action RetrieveCall as an MCP tool (the undo of hold_call)."""

from __future__ import annotations

from mcp_types import ToolAnnotations
from pydantic import Field

from ccc_mcp.api.models import ChannelContext
from ccc_mcp.tools.arguments import Identifier
from ccc_mcp.tools.base import ToolCall, ToolSpec
from ccc_mcp.tools.call_control import RESULT_TEXT, CallControlArguments, act, finding, looked_up_job_id, looking
from ccc_mcp.tools.guidance import Guide
from ccc_mcp.tools.resolve import HELD
from ccc_mcp.tools.results import CallControlResult

__all__ = ["RETRIEVE_CALL"]


class RetrieveCallArguments(CallControlArguments):
    """RetrieveCall requires the call and the held channel; the server finds them when omitted."""

    job_id: Identifier | None = looked_up_job_id("job-6582589278232****")
    channel_id: Identifier | None = Field(
        None,
        description="The held channel to take off hold. Omit it to retrieve the one channel of the agent's call "
        "that is on hold.",
        examples=["ch:customer:010123****->1318888****:1609255715825:job-6582589278232****"],
    )


EFFECT = "the channel no longer lists HOLD in flags"


def describe(guide: Guide) -> str:
    return (
        "Take a held party of a live call off hold in Alibaba Cloud Contact Center (CCC), so they and the agent "
        f"hear each other again.{guide.mention('hold_call', 'It undoes hold_call.')}\n\n"
        "Use it when an agent on a call (state TALKING) has a party on hold and wants them back. Name the agent "
        f"with user_id.{finding(guide)} Omit job_id and channel_id and the server looks up the agent's current "
        "call and retrieves the one channel on hold (one extra request; the result's resolved field says what it "
        "chose). If nothing is on hold, or several channels are, nothing changes and the error lists the "
        "channels. CCC refuses to retrieve a channel that is not on hold (InvalidOperation.ChannelState)."
        f"{looking(guide, EFFECT)}\n\n"
        "The result has ok, CCC's request_id, call_context (the call and its channels; CCC documents no "
        "flags in RetrieveCall's answer, so flags may be null there), "
        "user_context (the agent) and resolved. " + RESULT_TEXT
    )


async def run(call: ToolCall[RetrieveCallArguments]) -> CallControlResult:
    return await act(call, "RetrieveCall", needs_job=True, channel_rule=HELD, achieved=_off_hold)


def _off_hold(channel: ChannelContext) -> bool:
    return "HOLD" not in (channel.flags or [])


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
)
