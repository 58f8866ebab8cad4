"""What the call-control tools share (unmute, mute, hold, retrieve): their id arguments, and one `act`
that fills in omitted ids (see `resolve.py`), sends the action and maps CCC's answer to the result.

A call-control action takes an instance, an agent and optionally a call and a channel, and answers with
the call's and the agent's contexts. `DeviceId` is never asked of the model: CCC ignores its value, but
the API page marks it required, so the server always sends its own.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

from pydantic import Field, ValidationError

from ccc_mcp.api.errors import describe
from ccc_mcp.api.models import CallControlData, ChannelContext
from ccc_mcp.tools.arguments import Identifier, ToolArguments
from ccc_mcp.tools.base import ToolCall
from ccc_mcp.tools.guidance import Guide
from ccc_mcp.tools.resolve import ChannelRule, Failure, poll_status, resolve_target
from ccc_mcp.tools.results import CallControlResult, Resolution

if TYPE_CHECKING:
    from ccc_mcp.api.client import ApiResult

__all__ = [
    "RESULT_TEXT",
    "CallControlArguments",
    "act",
    "finding",
    "from_api",
    "instance_id_field",
    "looked_up_job_id",
    "looking",
    "user_id_field",
]



def instance_id_field() -> Any:
    """`instance_id` as every tool declares it (the published schema adds the default, if any)."""
    return Field(None, description="The CCC instance the agent belongs to.", examples=["ccc-test"])


def user_id_field() -> Any:
    """`user_id` as every tool declares it: optional here, required in the published schema of a deployment
    with no default agent (`arguments.requiring_user`), whose description then names the default."""
    return Field(None, description="The agent, by user id (name@instance).", examples=["agent@ccc-test"])


def looked_up_job_id(example: str) -> Any:
    """`job_id` of an action that requires the call: the server looks it up when omitted (`resolve.py`)."""
    return Field(
        None,
        description="The call (job) id. Omit it and the server looks up the agent's current call.",
        examples=[example],
    )


class CallControlArguments(ToolArguments):
    """The ids every call-control action understands. Each tool re-declares job_id and channel_id to say
    what omitting them means for that action."""

    instance_id: Identifier | None = instance_id_field()
    user_id: Identifier | None = user_id_field()
    job_id: Identifier | None = Field(
        None,
        description="The call (job) id. Omit it to act on the agent's current call.",
        examples=["job-6538214103685****"],
    )
    channel_id: Identifier | None = Field(
        None,
        description="The channel of the call to act on. Omit it to act on the agent's own channel.",
        examples=["ch:user:1390501****->8032****:1609138902226:job-6538214103685****"],
    )


CallArgsT = TypeVar("CallArgsT", bound=CallControlArguments)


def from_api(result: ApiResult) -> CallControlResult:
    """CCC's answer to a call-control action (or PollUserStatus) as the tool's result."""
    if result.error is not None:
        return CallControlResult(ok=False, request_id=result.request_id, error=result.error)
    try:
        data = CallControlData.model_validate(result.data or {})
    except ValidationError:
        error = describe(
            "Response.Malformed",
            "CCC answered OK but its CallContext/UserContext could not be read.",
            http_status=result.http_status,
        )
        return CallControlResult(ok=False, request_id=result.request_id, error=error)
    return CallControlResult(
        ok=True, request_id=result.request_id, call_context=data.call_context, user_context=data.user_context
    )


async def act(
    call: ToolCall[CallArgsT],
    action: str,
    *,
    needs_job: bool,
    channel_rule: ChannelRule | None = None,
    extra: dict[str, str | None] | None = None,
    achieved: Callable[[ChannelContext], bool] | None = None,
) -> CallControlResult:
    """Send `action` for the agent. With `needs_job`, an omitted job_id is the agent's current call; with
    `channel_rule`, an omitted channel_id is the one channel of that call the rule accepts. `achieved` says
    whether a channel is already as the action leaves it (see `_confirmed`)."""
    args = call.args
    job_id, channel_id = args.job_id, args.channel_id
    status: ApiResult | None = None  # one PollUserStatus serves both the own-line check and resolution
    if call.own_line_only and (job_id is not None or channel_id is not None):
        status = await poll_status(call)
        refused = _not_own_call(from_api(status), job_id, channel_id, call.user_id)
        if refused is not None:
            return refused
    resolved: Resolution | None = None
    rule = channel_rule if channel_id is None else None
    if (needs_job and job_id is None) or rule is not None:
        found = await resolve_target(call, rule, status)
        if isinstance(found, Failure):
            return CallControlResult(ok=False, request_id=found.request_id, error=found.error)
        resolved, job_id = found, found.job_id
        channel_id = found.channel_id or channel_id
        call.facts.job, call.facts.channel = job_id, channel_id
    params: dict[str, str | None] = {
        "UserId": call.user_id,
        "DeviceId": call.settings.device_id,
        "JobId": job_id,
        "ChannelId": channel_id,
        **(extra or {}),
    }
    outcome = await call.ccc(action, params)
    result = from_api(outcome)
    result.resolved = resolved
    if achieved is not None and job_id and channel_id and _refused_on_retry(outcome):
        return await _confirmed(call, result, job_id, channel_id, achieved) or result
    return result


def _not_own_call(
    status: CallControlResult, job_id: str | None, channel_id: str | None, agent: str | None
) -> CallControlResult | None:
    """For a caller limited to their own line: ids they give must be of their own agent's current call (as
    `status`, PollUserStatus, shows it). CCC is not documented to tie JobId/ChannelId to UserId."""
    if not status.ok:
        return status
    live = status.call_context
    own_channels = {ch.channel_id for ch in live.channel_contexts} if live is not None else set()
    current = live.job_id if live is not None else None
    if (job_id is not None and job_id != current) or (channel_id is not None and channel_id not in own_channels):
        named = channel_id if job_id is None else job_id
        error = describe(
            "Forbidden.Agent",
            f"{named} is not part of your own agent's current call ({current or 'none'}); you may control only "
            "your own agent's calls. Nothing was changed.",
            params=[named, str(agent)],
        )
        return CallControlResult(ok=False, request_id=status.request_id, error=error)
    return None


def _refused_on_retry(outcome: ApiResult) -> bool:
    """CCC refused a retry for the channel's state after an earlier attempt whose answer was lost (dropped, cut,
    unreadable): CCC may have applied that one already, and HoldCall (strict) and RetrieveCall refuse to apply
    it twice. A retry after a throttled or 5xx attempt (never applied) is not second-guessed."""
    refused = outcome.error is not None and outcome.error.code == "InvalidOperation.ChannelState"
    return refused and outcome.earlier_outcome_unknown


async def _confirmed(
    call: ToolCall[CallArgsT],
    refused: CallControlResult,
    job_id: str,
    channel_id: str,
    achieved: Callable[[ChannelContext], bool],
) -> CallControlResult | None:
    """The action's effect, confirmed with PollUserStatus after a refused retry: success when the channel is
    already as the action leaves it (the lost first attempt was applied), else None (the refusal stands)."""
    status = from_api(await poll_status(call))
    live = status.call_context
    if not status.ok or live is None or live.job_id != job_id:
        return None
    channel = next((ch for ch in live.channel_contexts if ch.channel_id == channel_id), None)
    if channel is None or channel.flags is None or not achieved(channel):
        return None
    earlier = f"{refused.resolved.how} " if refused.resolved else ""
    how = (
        f"{earlier}The first attempt's answer was lost and CCC refused the retry for the channel's state, because "
        "the first attempt had been applied; confirmed with PollUserStatus."
    )
    resolution = Resolution(job_id=job_id, channel_id=channel_id, how=how, request_id=status.request_id)
    return CallControlResult(
        ok=True,
        request_id=status.request_id,
        call_context=status.call_context,
        user_context=status.user_context,
        resolved=resolution,
    )


# -- description sentences shared by the call-control tools --------------------------------------------

RESULT_TEXT = (
    "On failure ok is false and error gives CCC's code (e.g. InvalidOperation.UserState when the agent is not on "
    "a call), the HTTP status, the message, whether repeating the same call can help (retryable) and a hint on "
    "what to do next."
)


def finding(guide: Guide) -> str:
    """How to get a user_id, when list_agents is published."""
    return guide.mention(
        "list_agents", "If you only know the agent's name or extension, list_agents finds the user_id."
    )


def looking(guide: Guide, effect: str) -> str:
    """Which read tool shows state before acting and checks the effect after, when it is published."""
    return guide.mention(
        "get_agent_status",
        f"This tool changes the call: to only look at an agent and their call, use get_agent_status, which "
        f"changes nothing; it also confirms the effect afterwards ({effect}).",
    )
