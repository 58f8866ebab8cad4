"""`mute_call`: the CCC action MuteCall as an MCP tool (the undo of unmute_call).

It takes no channel_id: CCC mutes only the agent's own audio (MuteCall's ChannelId, when empty, is the
agent's channel; what CCC does with another party's channel is undocumented), so the argument would mean
nothing a model can use.
"""

from __future__ import annotations

from mcp_types import ToolAnnotations

from ccc_mcp.tools.arguments import Identifier
from ccc_mcp.tools.base import ToolCall, ToolSpec
from ccc_mcp.tools.call_control import CallControlArguments, act, finding, looked_up_job_id, looking
from ccc_mcp.tools.guidance import Guide
from ccc_mcp.tools.results import CallControlResult

__all__ = ["MUTE_CALL"]


class MuteCallArguments(CallControlArguments):
    """MuteCall requires the call; the server finds it when job_id is omitted."""

    job_id: Identifier | None = looked_up_job_id("job-6581536084722****")


EFFECT = "MUTED in the agent's flags"


def describe(guide: Guide) -> str:
    return (
        "Mute an agent on a live call in CCC: the other party stops hearing the "
        f"agent, who still hears them.{guide.mention('unmute_call', 'unmute_call undoes it.')}\n\n"
        f"Name the agent by user_id.{finding(guide)} CCC mutes only the agent's own audio, on their current call "
        f"(resolved says which). Repeating it is safe.{looking(guide, EFFECT)}"
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
    actions=("MuteCall", "PollUserStatus"),
)
