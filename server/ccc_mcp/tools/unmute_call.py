"""`unmute_call`: the CCC action UnmuteCall as an MCP tool."""

from __future__ import annotations

from mcp_types import ToolAnnotations

from ccc_mcp.tools.call_control import CallControlArguments, CallControlSpec

DESCRIPTION = """\
Unmute an agent's line on a live call in Alibaba Cloud Contact Center (CCC), so the other party can \
hear the agent again.

Use it when an agent who is on a call (state TALKING) was muted and should be heard again. Name the \
agent with user_id. By default it unmutes the agent's own channel of their current call; job_id names \
the call explicitly and channel_id a specific channel of it (from a call's channel_contexts). \
Unmuting a line that is not muted changes nothing, so repeating the call is safe.

The result has ok, the API's request_id, call_context (the call type, job id and every channel with its \
state and flags) and user_context (the agent's state, device, extension, work mode, skill groups). On \
failure ok is false and error gives the CCC code (e.g. InvalidOperation.UserState when the agent is not \
on a call, NotExists.JobId for an unknown call), the HTTP status, the message, whether retrying can help \
(retryable) and a hint on what to do next."""


class UnmuteCallArguments(CallControlArguments):
    """UnmuteCall's arguments: the agent is required; the call and channel narrow it down."""


UNMUTE_CALL = CallControlSpec(
    name="unmute_call",
    title="Unmute call",
    description=DESCRIPTION,
    action="UnmuteCall",
    arguments=UnmuteCallArguments,
    annotations=ToolAnnotations(
        title="Unmute call",
        read_only_hint=False,
        destructive_hint=False,
        idempotent_hint=True,
        open_world_hint=True,
    ),
)
