"""The call picture a model reads: CCC's CallContext and UserContext, said once each (architecture.md §4,
"The call picture").

CCC's contexts (`api.models`) are faithful to the wire: every channel repeats the call's id and type, the
customer's leg is recognisable only by an empty UserId, flags are one string spelled several ways, and
empty values come as null or "". What a model gets instead is built here, once per answer:

- every channel names its `party`: `agent` (with `user_id`, `extension` and, where the server knows it,
  the display `name`; the agent the answer is about carries `subject: true`) or `external` (with the
  outside `number`);
- mute and hold read one way: the parsed `flags` list (absent when CCC's answer did not report flags);
- nothing is said twice: a channel states its call type only when it differs from the call's, never the
  call's id; the answer states the instance nowhere (the caller chose it);
- nothing is null: an unknown or inapplicable value is left out (`to_tool_result` drops None), and the
  output schema says what absence means.

Views are made with `model_construct`: their values were validated when CCC's answer was parsed, and a
status answer is built on every call.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from ccc_mcp.api.models import CallContext, ChannelContext, UserContext

__all__ = ["CallView", "ChannelView", "UserView", "call_view", "external_number", "user_view"]

Party = Literal["agent", "external"]


class _View(BaseModel):
    model_config = ConfigDict(defer_build=True)


class ChannelView(_View):
    """One party's leg of a call."""

    channel_id: str | None = Field(None, description="To act on this party.")
    party: Party = Field(description="external: a customer or other number.")
    user_id: str | None = Field(None, description="The agent.")
    name: str | None = Field(None, description="Display name, where known.")
    subject: bool | None = Field(None, description="true: the agent asked about.")
    number: str | None = Field(None, description="Phone number.")
    channel_state: str | None = Field(None, description="ANSWERED (connected), RINGING, RELEASED, ...")
    flags: list[str] | None = Field(
        None, description="MUTED (agent not heard), HOLD (on hold), ...; absent: not reported."
    )
    timestamp: int | None = Field(None, description="Last state or flags change, epoch ms.")
    call_type: str | None = Field(None, description="This leg's type, where not the call's.")


class CallView(_View):
    """A call (CCC: a job) and every party on it."""

    job_id: str | None = Field(None, description="The call's id.")
    call_type: str | None = Field(None, description="INBOUND, OUTBOUND, CONSULTANT, ...")
    channel_contexts: list[ChannelView] = Field(description="Every party's channel.")


class UserView(_View):
    """An agent's live state."""

    user_id: str | None = Field(None, description="The agent.")
    user_state: str | None = Field(
        None,
        description="TALKING (on a call), READY, WORKING (after-call work), BREAK, OFFLINE, ...",
    )
    job_id: str | None = Field(None, description="The current call.")
    extension: str | None = Field(None, description="Extension.")


def _text(value: str | None) -> str | None:
    """CCC writes "nothing" as null or as "": both are left out."""
    return value or None


def external_number(channel: ChannelContext, call_type: str | None) -> str | None:
    """The outside party's number on its leg: the calling number (originator) of a leg dialled in from
    outside (call type INBOUND), the called number (destination) of any other leg, which the centre dialled
    out. CCC documents both fields but not this reading (docs/tools.md says so); the other end is used when
    the preferred one is empty."""
    leg_type = (channel.call_type or call_type or "").upper()
    inbound = leg_type == "INBOUND"
    first, second = (channel.originator, channel.destination) if inbound else (channel.destination, channel.originator)
    return _text(first) or _text(second)


def _channel(
    channel: ChannelContext, call_type: str | None, subject: str | None, names: Mapping[str, str]
) -> ChannelView:
    agent = _text(channel.user_id)
    leg_type = _text(channel.call_type)
    view = ChannelView.model_construct(
        channel_id=_text(channel.channel_id),
        party="agent" if agent else "external",
        channel_state=_text(channel.channel_state),
        flags=channel.flags,
        timestamp=channel.timestamp,
        call_type=leg_type if leg_type and leg_type != call_type else None,
    )
    if agent:
        view.user_id = agent
        view.name = names.get(agent)
        view.subject = True if agent == subject else None
    else:
        view.number = external_number(channel, call_type)
    return view


def call_view(
    context: CallContext | None, *, subject: str | None = None, names: Mapping[str, str] | None = None
) -> CallView | None:
    """CCC's CallContext as a model reads it; None for no call (CCC may send an empty context for an agent
    without one). `subject` is the agent the answer is about; `names` maps agents to display names where the
    caller already knows them."""
    if context is None or (not context.job_id and not context.channel_contexts):
        return None
    call_type = _text(context.call_type)
    return CallView.model_construct(
        job_id=_text(context.job_id),
        call_type=call_type,
        channel_contexts=[_channel(ch, call_type, subject, names or {}) for ch in context.channel_contexts],
    )


def user_view(context: UserContext | None) -> UserView | None:
    """CCC's UserContext as a model reads it."""
    if context is None:
        return None
    return UserView.model_construct(
        user_id=_text(context.user_id),
        user_state=_text(context.user_state),
        job_id=_text(context.job_id),
        extension=_text(context.extension),
    )
