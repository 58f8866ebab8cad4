"""Finding the call and channel a model left out, with one PollUserStatus request — never by guessing.

MuteCall, HoldCall and RetrieveCall require `JobId` (and Hold/Retrieve `ChannelId`), but a person says
"hold my customer", not a channel id. PollUserStatus is the one CCC action that returns an agent's current
call with its channels, so the server asks it, and picks a channel only when exactly one fits the action's
rule. No call, or several candidates, is a structured error that lists them, so the model can choose.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from pydantic import ValidationError

from ccc_mcp.api.errors import describe
from ccc_mcp.api.models import CallContext, CallControlData, ChannelContext, ErrorInfo
from ccc_mcp.tools.picture import external_number

if TYPE_CHECKING:
    from ccc_mcp.api.client import ApiResult
    from ccc_mcp.tools.base import ToolCall
    from ccc_mcp.tools.call_control import CallControlArguments

__all__ = [
    "HELD",
    "LIVE_OTHER_PARTY",
    "ChannelRule",
    "Failure",
    "Target",
    "describe_channel",
    "poll_status",
    "resolve_target",
]


@dataclass(frozen=True, slots=True)
class ChannelRule:
    """Which channels of the agent's call an action may target when channel_id is omitted."""

    what: str  # "the other party's live channel": said in `how` and in errors
    accepts: Callable[[ChannelContext, str], bool]  # (channel, the agent's user id) -> fits
    when_none: str | None = None  # the hint when no channel fits, if the catalogue's says too little


LIVE_OTHER_PARTY = ChannelRule(
    "the other party's live channel",
    lambda channel, agent: (channel.user_id or None) != agent and channel.channel_state == "ANSWERED",
)
HELD = ChannelRule(
    "the channel on hold",
    lambda channel, agent: "HOLD" in (channel.flags or []),
    "Nobody on this call is on hold: nothing needs retrieving.",
)


@dataclass(frozen=True, slots=True)
class Target:
    """The ids the server found for an action, and how, in a sentence that names them (the result's
    `resolved`)."""

    job_id: str
    channel_id: str | None
    how: str


@dataclass(frozen=True, slots=True)
class Failure:
    """Resolution failed: the error to answer, and the request id of the status request, if one was made."""

    error: ErrorInfo
    request_id: str | None


def describe_channel(channel: ChannelContext, call_type: str | None) -> str:
    """One channel for a person or a model: id, who is on it (as the call picture says it), state and flags."""
    who = f"agent {channel.user_id}" if channel.user_id else f"external {external_number(channel, call_type)}"
    flags = ", ".join(channel.flags or []) or "no flags"
    return f"{channel.channel_id} ({who}, {channel.channel_state}, {flags})"


async def poll_status(call: ToolCall[Any]) -> ApiResult:
    """The one PollUserStatus request a tool makes for its agent (read, look up, check or confirm)."""
    return await call.ccc("PollUserStatus", {"UserId": call.user_id, "DeviceId": call.settings.device_id})


async def resolve_target(
    call: ToolCall[Any], rule: ChannelRule | None, outcome: ApiResult | None = None
) -> Target | Failure:
    """The agent's current call (and, with `rule`, the one channel that fits it), from PollUserStatus — the
    answer given as `outcome` when the tool already asked, else a new request."""
    args: CallControlArguments = call.args
    if outcome is None:
        outcome = await poll_status(call)
    if outcome.error is not None:
        return Failure(outcome.error, outcome.request_id)
    try:
        data = CallControlData.model_validate(outcome.data or {})
    except ValidationError:
        error = describe("Response.Malformed", "CCC answered the status request OK, but it could not be read.")
        return Failure(error, outcome.request_id)
    agent = (data.user_context.user_id if data.user_context else None) or call.user_id or ""
    state = (data.user_context.user_state if data.user_context else None) or "unknown"
    current = (data.call_context.job_id if data.call_context else None) or (
        data.user_context.job_id if data.user_context else None
    )
    if not current:
        error = describe(
            "Resolve.NoCall",
            f"Agent {agent} has no live call (state {state}), so there is no call to act on.",
            params=[agent, state],
        )
        return Failure(error, outcome.request_id)
    if args.job_id is not None and args.job_id != current:
        error = describe(
            "Resolve.NoCall",
            f"Call {args.job_id} is not agent {agent}'s current call ({current}); omit job_id to act on {current}.",
            params=[agent, state],
        )
        return Failure(error, outcome.request_id)
    how = f"job_id omitted: the agent's current call {current}" if args.job_id is None else "job_id as given"
    if rule is None:
        return Target(current, None, f"{how} (PollUserStatus).")
    return _pick(rule, agent, current, data.call_context, how, outcome.request_id)


def _pick(
    rule: ChannelRule, agent: str, job_id: str, context: CallContext | None, how: str, request_id: str | None
) -> Target | Failure:
    channels = context.channel_contexts if context is not None else []
    call_type = context.call_type if context is not None else None
    candidates = [channel for channel in channels if channel.channel_id and rule.accepts(channel, agent)]
    if len(candidates) == 1:
        chosen = candidates[0].channel_id
        text = f"{how}; channel_id omitted: {chosen}, {rule.what}, the only one on the call (PollUserStatus)."
        return Target(job_id, chosen, text)
    listed = "; ".join(describe_channel(channel, call_type) for channel in channels) or "none"
    if not candidates:
        error = describe(
            "Resolve.NoChannel",
            f"Call {job_id} of agent {agent} has no channel that is {rule.what}. Its channels: {listed}.",
            params=[job_id],
        )
        if rule.when_none is not None:
            error.settle(rule.when_none)
        return Failure(error, request_id)
    ids = [channel.channel_id or "" for channel in candidates]
    error = describe(
        "Resolve.Ambiguous",
        f"Call {job_id} has {len(candidates)} channels that could be {rule.what}: "
        + "; ".join(describe_channel(channel, call_type) for channel in candidates)
        + ". Pass channel_id to choose one.",
        params=ids,
    )
    return Failure(error, request_id)
