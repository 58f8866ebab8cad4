"""`hold_call`: the CCC action HoldCall as an MCP tool (retrieve_call undoes it)."""

from __future__ import annotations

from mcp_types import ToolAnnotations
from pydantic import Field

from ccc_mcp.api.models import ChannelContext
from ccc_mcp.tools.arguments import Identifier
from ccc_mcp.tools.base import ToolCall, ToolSpec
from ccc_mcp.tools.call_control import RESULT_TEXT, CallControlArguments, act, finding, looked_up_job_id, looking
from ccc_mcp.tools.guidance import Guide
from ccc_mcp.tools.resolve import LIVE_OTHER_PARTY
from ccc_mcp.tools.results import CallControlResult

__all__ = ["HOLD_CALL"]


class HoldCallArguments(CallControlArguments):
    """HoldCall requires the call and the channel; the server finds them when omitted."""

    job_id: Identifier | None = looked_up_job_id("job-6582589278232****")
    channel_id: Identifier | None = Field(
        None,
        description="The channel to put on hold: the party who will hear hold music. Omit it to hold the other "
        "party of the agent's call (the customer), when there is exactly one.",
        examples=["ch:customer:010123****->1318888****:1609255715825:job-6582589278232****"],
    )
    music: Identifier | None = Field(
        None,
        description="Name of the hold music to play. Omit it for the contact centre's default music.",
        examples=["hold-music-1"],
    )


EFFECT = "the held channel lists HOLD in flags"


def describe(guide: Guide) -> str:
    return (
        "Put a party of a live call on hold in Alibaba Cloud Contact Center (CCC): they hear hold music and the "
        "agent is free to talk off the line."
        f"{guide.mention('retrieve_call', 'retrieve_call takes them off hold.')}\n\n"
        "Use it when an agent who is on a call (state TALKING) asks to hold their customer. Name the agent with "
        f"user_id.{finding(guide)} Omit job_id and channel_id and the server looks up the agent's current call "
        "and holds the one other party on it (one extra request; the result's resolved field says what it "
        "chose). If the call has no such party, or several, nothing is held and the error lists the channels so "
        "you can pass channel_id. CCC may refuse to hold a party who is already on hold "
        "(InvalidOperation.ChannelState)."
        f"{looking(guide, EFFECT)}\n\n"
        "The result has ok, CCC's request_id, call_context (the call and its channels; CCC documents no "
        "flags in HoldCall's answer, so flags may be null there), "
        "user_context (the agent) and resolved. " + RESULT_TEXT
    )


async def run(call: ToolCall[HoldCallArguments]) -> CallControlResult:
    return await act(
        call,
        "HoldCall",
        needs_job=True,
        channel_rule=LIVE_OTHER_PARTY,
        extra={"Music": call.args.music},
        achieved=_on_hold,
    )


def _on_hold(channel: ChannelContext) -> bool:
    return "HOLD" in (channel.flags or [])


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
)
