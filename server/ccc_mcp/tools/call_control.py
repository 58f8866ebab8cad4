"""What the call-control tools share (unmute, mute, hold, retrieve): their id arguments, and one `act`
that fills in omitted ids (see `resolve.py`), sends the action and maps CCC's answer to the result.

A call-control action takes an instance, an agent and optionally a call and a channel, and answers with
the call's and the agent's contexts. `DeviceId` is never asked of the model: CCC ignores its value, but
the API page marks it required, so the server always sends its own.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeVar

from pydantic import Field, ValidationError

from ccc_mcp.api.errors import describe
from ccc_mcp.api.models import CallControlData, ChannelContext, ErrorInfo
from ccc_mcp.tools.arguments import Identifier, ToolArguments
from ccc_mcp.tools.base import ToolCall
from ccc_mcp.tools.guidance import Guide
from ccc_mcp.tools.picture import call_view, user_view
from ccc_mcp.tools.resolve import ChannelRule, Failure, poll_status, resolve_target
from ccc_mcp.tools.results import CallControlResult

if TYPE_CHECKING:
    from ccc_mcp.api.client import ApiResult

__all__ = [
    "Achieved",
    "CallControlArguments",
    "act",
    "finding",
    "from_api",
    "instance_id_field",
    "looked_up_job_id",
    "looking",
    "read_data",
    "subject_of",
    "user_id_field",
]


def instance_id_field() -> Any:
    """`instance_id` as every tool declares it (the published schema adds the default, if any)."""
    return Field(None, description="The CCC instance.", examples=["ccc-test"])


def user_id_field() -> Any:
    """`user_id` as every tool declares it: optional here, required in the published schema of a deployment
    with no default agent (`arguments.requiring_user`), whose description then names the default."""
    return Field(None, description="The agent, by user id (name@instance).", examples=["agent@ccc-test"])


def looked_up_job_id(example: str) -> Any:
    """`job_id` of an action that requires the call: the server looks it up when omitted (`resolve.py`)."""
    return Field(
        None,
        description="The call (job) id; omit it for the agent's current call.",
        examples=[example],
    )


class CallControlArguments(ToolArguments):
    """The ids every call-control action understands. Each tool re-declares job_id to say what omitting it
    means for that action, and declares channel_id where a channel can be chosen (mute_call has none: CCC
    mutes only the agent's own audio)."""

    instance_id: Identifier | None = instance_id_field()
    user_id: Identifier | None = user_id_field()
    job_id: Identifier | None = Field(
        None,
        description="The call (job) id. Omit it to act on the agent's current call.",
        examples=["job-6538214103685****"],
    )


@dataclass(frozen=True, slots=True)
class Achieved:
    """How a channel looks once the action took effect ("on hold"), and the test of it."""

    state: str
    test: Callable[[ChannelContext], bool]


CallArgsT = TypeVar("CallArgsT", bound=CallControlArguments)


def read_data(result: ApiResult) -> CallControlData | ErrorInfo:
    """The contexts of CCC's answer to a call-control action (or PollUserStatus), or why there are none."""
    if result.error is not None:
        return result.error
    try:
        return CallControlData.model_validate(result.data or {})
    except ValidationError:
        return describe(
            "Response.Malformed",
            "CCC answered OK but its CallContext/UserContext could not be read.",
            http_status=result.http_status,
        )


def subject_of(data: CallControlData, call: ToolCall[Any]) -> str | None:
    """The agent an answer is about: as CCC names them, else as the call did (None: the credentials' agent)."""
    return (data.user_context.user_id if data.user_context else None) or call.user_id


def from_api(result: ApiResult, call: ToolCall[Any]) -> CallControlResult:
    """CCC's answer to a call-control action as the tool's result, in the call picture (`tools.picture`)."""
    data = read_data(result)
    if isinstance(data, ErrorInfo):
        return CallControlResult(ok=False, request_id=result.request_id, error=data)
    return CallControlResult(
        ok=True,
        request_id=result.request_id,
        call_context=call_view(data.call_context, subject=subject_of(data, call)),
        user_context=user_view(data.user_context),
    )


async def act(
    call: ToolCall[CallArgsT],
    action: str,
    *,
    needs_job: bool,
    channel_rule: ChannelRule | None = None,
    extra: dict[str, str | None] | None = None,
    achieved: Achieved | None = None,
) -> CallControlResult:
    """Send `action` for the agent. With `needs_job`, an omitted job_id is the agent's current call; with
    `channel_rule`, an omitted channel_id is the one channel of that call the rule accepts. `achieved` says
    whether a channel is already as the action leaves it (see `_after_refusal`)."""
    args = call.args
    job_id, channel_id = args.job_id, getattr(args, "channel_id", None)
    status: ApiResult | None = None  # one PollUserStatus serves both the own-line check and resolution
    if call.own_line_only and (job_id is not None or channel_id is not None):
        status = await poll_status(call)
        refused = _not_own_call(status, job_id, channel_id, call.user_id)
        if refused is not None:
            return refused
    resolved: str | None = None
    rule = channel_rule if channel_id is None else None
    if (needs_job and job_id is None) or rule is not None:
        found = await resolve_target(call, rule, status)
        if isinstance(found, Failure):
            return CallControlResult(ok=False, request_id=found.request_id, error=found.error)
        resolved, job_id = found.how, found.job_id
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
    result = from_api(outcome, call)
    result.resolved = resolved
    if achieved is not None and job_id and channel_id and _refused_for_state(outcome):
        return await _after_refusal(call, result, outcome, job_id, channel_id, achieved)
    return result


def _not_own_call(
    status: ApiResult, job_id: str | None, channel_id: str | None, agent: str | None
) -> CallControlResult | None:
    """For a caller limited to their own line: ids they give must be of their own agent's current call (as
    `status`, PollUserStatus, shows it). CCC is not documented to tie JobId/ChannelId to UserId."""
    data = read_data(status)
    if isinstance(data, ErrorInfo):
        return CallControlResult(ok=False, request_id=status.request_id, error=data)
    live = data.call_context
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


def _refused_for_state(outcome: ApiResult) -> bool:
    return outcome.error is not None and outcome.error.code == "InvalidOperation.ChannelState"


async def _after_refusal(
    call: ToolCall[CallArgsT],
    refused: CallControlResult,
    outcome: ApiResult,
    job_id: str,
    channel_id: str,
    achieved: Achieved,
) -> CallControlResult:
    """CCC refused the action for the channel's state: a status read says whether the channel already is as
    the action leaves it. Then, after an attempt whose answer was lost (dropped, cut, unreadable; CCC may have
    applied it, and HoldCall and RetrieveCall refuse to apply it twice), the action succeeded; otherwise the
    refusal stands, with a hint that nothing needs doing. A retry after a throttled or 5xx attempt (never
    applied) is not second-guessed. When the read cannot tell, the refusal stands as CCC gave it."""
    status = await poll_status(call)
    data = read_data(status)
    if isinstance(data, ErrorInfo) or not _is_already(data, job_id, channel_id, achieved):
        return refused
    if outcome.earlier_outcome_unknown:
        return _confirmed(call, refused, data, status.request_id, channel_id)
    if refused.error is not None:
        refused.error.settle(f"Channel {channel_id} is already {achieved.state}: nothing needs doing.")
    return refused


def _is_already(data: CallControlData, job_id: str, channel_id: str, achieved: Achieved) -> bool:
    """The channel is on the agent's current call `job_id` and reported as the action leaves it."""
    live = data.call_context
    if live is None or live.job_id != job_id:
        return False
    channel = next((ch for ch in live.channel_contexts if ch.channel_id == channel_id), None)
    return channel is not None and channel.flags is not None and achieved.test(channel)


def _confirmed(
    call: ToolCall[CallArgsT],
    refused: CallControlResult,
    status: CallControlData,
    request_id: str | None,
    channel_id: str,
) -> CallControlResult:
    """Success, confirmed by a status read after a lost answer and a refused retry."""
    earlier = f"{refused.resolved} " if refused.resolved else ""
    how = (
        f"{earlier}The answer to the first attempt on {channel_id} was lost and CCC refused the retry for the "
        "channel's state, because the first attempt had been applied (confirmed with PollUserStatus)."
    )
    return CallControlResult(
        ok=True,
        request_id=request_id,
        call_context=call_view(status.call_context, subject=subject_of(status, call)),
        user_context=user_view(status.user_context),
        resolved=how,
    )


# -- description sentences shared by the call-control tools --------------------------------------------


def finding(guide: Guide) -> str:
    """How to get a user_id, when list_agents is published."""
    return guide.mention("list_agents", "list_agents finds it by name or extension.")


def looking(guide: Guide, effect: str) -> str:
    """Which read tool shows state before acting and checks the effect after, when it is published."""
    return guide.mention("get_agent_status", f"get_agent_status shows the effect: {effect}.")
