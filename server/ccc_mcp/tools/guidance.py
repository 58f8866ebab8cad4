"""What to do next, naming only tools that exist for this caller.

The error catalogue (`api/errors.py`) says what a code means without knowing any tool. Here the tools
layer adds the next step — "call get_agent_status to see ..." — but only when that tool is published to
the caller: a hint that names a missing tool sends a model in circles. Descriptions use the same `Guide`,
so a tool's description mentions its read-back tool only when it exists.
"""

from __future__ import annotations

from dataclasses import dataclass

from ccc_mcp.api.models import ErrorInfo

__all__ = ["NEXT_STEPS", "Guide"]

# code -> (tool that helps, the sentence that says how)
NEXT_STEPS: dict[str, tuple[str, str]] = {
    "InvalidOperation.UserState": ("get_agent_status", "Call get_agent_status to see what the agent is doing now."),
    "InvalidOperation.ChannelState": (
        "get_agent_status",
        "Call get_agent_status to see the call's channels with their states and flags.",
    ),
    "NotExists.JobId": ("get_agent_status", "Call get_agent_status to get the agent's current job_id."),
    "NotExists.ChannelId": ("get_agent_status", "Call get_agent_status to list the channels of the agent's call."),
    "NotExists.UserId": (
        "list_agents",
        "Call list_agents with part of the agent's name or their extension to find the right user_id.",
    ),
    "Resolve.NoCall": ("get_agent_status", "Call get_agent_status to see the agent's state."),
    "Resolve.NoChannel": ("get_agent_status", "Call get_agent_status to see the call's channels and their flags."),
    "Resolve.Ambiguous": ("get_agent_status", "Call get_agent_status to see who is on each channel."),
}


@dataclass(frozen=True, slots=True)
class Guide:
    """The tools published to the current caller, and the sentences that may name them."""

    enabled: frozenset[str]

    def mention(self, tool: str, sentence: str) -> str:
        """`sentence` (with a leading space) when `tool` is published, else nothing."""
        return f" {sentence}" if tool in self.enabled else ""

    def advise(self, error: ErrorInfo, current_tool: str) -> ErrorInfo:
        """`error` with the next step appended to its hint, when a published tool other than the one that
        failed can help and the hint is not already complete (`ErrorInfo.settle`)."""
        step = NEXT_STEPS.get(error.code)
        if step is None or error.final or step[0] == current_tool or step[0] not in self.enabled:
            return error
        return error.model_copy(update={"hint": f"{error.hint} {step[1]}"})
