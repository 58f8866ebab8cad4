"""`mute_call`: the CCC action MuteCall as an MCP tool (the undo of unmute_call)."""

from __future__ import annotations

from mcp_types import ToolAnnotations
from pydantic import Field

from ccc_mcp.tools.arguments import Identifier
from ccc_mcp.tools.base import ToolCall, ToolSpec
from ccc_mcp.tools.call_control import RESULT_TEXT, CallControlArguments, act, finding, looked_up_job_id, looking
from ccc_mcp.tools.guidance import Guide
from ccc_mcp.tools.results import CallControlResult

__all__ = ["MUTE_CALL"]


class MuteCallArguments(CallControlArguments):
    """MuteCall requires the call; the server finds it when job_id is omitted."""

    job_id: Identifier | None = looked_up_job_id("job-6581536084722****")
    channel_id: Identifier | None = Field(
        None,
        description="The channel to mute. Omit it to mute the agent's own channel (CCC only mutes the agent's "
        "own audio).",
        examples=["ch:user:1318888****->8001****:1609253204816:job-6581536084722****"],
    )


EFFECT = "the agent's channel lists MUTED in flags"


def describe(guide: Guide) -> str:
    return (
        "Mute an agent on a live call in Alibaba Cloud Contact Center (CCC): the other party stops hearing the "
        f"agent, who still hears them.{guide.mention('unmute_call', 'unmute_call undoes it.')}\n\n"
        "Use it when an agent who is on a call (state TALKING) should not be heard for a moment. Name the agent "
        f"with user_id.{finding(guide)} Omit job_id and the server looks up the agent's current call first (one "
        "extra request; the result's resolved field says what it found). Muting a line that is already muted "
        "changes nothing, so repeating the call is safe."
        f"{looking(guide, EFFECT)}\n\n"
        "The result has ok, CCC's request_id, call_context (the call and every channel with its state and "
        "flags), user_context (the agent) and resolved. " + RESULT_TEXT
    )


async def run(call: ToolCall[MuteCallArguments]) -> CallControlResult:
    return await act(call, "MuteCall", needs_job=True)


MUTE_CALL = ToolSpec(
    name="mute_call",
    title="Mute call",
    describe=describe,
    arguments=MuteCallArguments,
    result=CallControlResult,
    annotations=ToolAnnotations(
        title="Mute call", read_only_hint=False, destructive_hint=False, idempotent_hint=True, open_world_hint=True
    ),
    run=run,
)
