"""The call picture (`tools/picture.py`): CCC's contexts as a model reads them — each channel's party, the
subject marked, the outside party's number, nothing said twice, nothing null."""

from __future__ import annotations

from typing import Any

import pytest

from ccc_mcp.api.models import CallContext, ChannelContext, UserContext
from ccc_mcp.tools.picture import call_view, external_number, user_view


def _call(*channels: dict[str, Any], call_type: str = "INBOUND") -> CallContext:
    return CallContext.model_validate(
        {"JobId": "job-1", "CallType": call_type, "InstanceId": "ccc-x", "ChannelContexts": list(channels)}
    )


CUSTOMER = {"ChannelId": "ch:customer:139->021:1:job-1", "ChannelState": "ANSWERED", "UserId": "", "JobId": "job-1",
            "CallType": "INBOUND", "Originator": "139", "Destination": "021", "ChannelFlags": "[HOLD]", "Index": 1}
WANG = {"ChannelId": "ch:user:139->8006:1:job-1", "ChannelState": "ANSWERED", "UserId": "wang@ccc-x", "JobId": "job-1",
        "CallType": "INBOUND", "UserExtension": "8006", "ChannelFlags": "[]", "Timestamp": 5}
LI = {**WANG, "ChannelId": "ch:user:8006->8002:2:job-1", "UserId": "li@ccc-x", "CallType": "CONSULTANT",
      "ChannelFlags": "MUTED"}


def _dump(view: Any) -> Any:
    return view.model_dump(mode="json", exclude_none=True)


def test_each_channel_names_its_party_and_the_subject_is_marked() -> None:
    view = call_view(_call(CUSTOMER, WANG, LI), subject="wang@ccc-x", names={"li@ccc-x": "Li Na"})
    assert _dump(view) == {
        "job_id": "job-1",
        "call_type": "INBOUND",
        "channel_contexts": [
            {"channel_id": CUSTOMER["ChannelId"], "party": "external", "number": "139", "channel_state": "ANSWERED",
             "flags": ["HOLD"]},
            {"channel_id": WANG["ChannelId"], "party": "agent", "user_id": "wang@ccc-x", "subject": True,
             "channel_state": "ANSWERED", "flags": [], "timestamp": 5},
            {"channel_id": LI["ChannelId"], "party": "agent", "user_id": "li@ccc-x", "name": "Li Na",
             "channel_state": "ANSWERED", "flags": ["MUTED"], "timestamp": 5, "call_type": "CONSULTANT"},
        ],
    }


def test_without_a_subject_no_channel_is_marked() -> None:
    view = call_view(_call(WANG, LI))
    assert view is not None
    assert [channel.subject for channel in view.channel_contexts] == [None, None]


@pytest.mark.parametrize(
    ("call_type", "leg", "number"),
    [
        ("INBOUND", {}, "139"),  # dialled in: the calling number
        ("OUTBOUND", {"CallType": "OUTBOUND", "Originator": "021", "Destination": "139"}, "139"),  # dialled out
        ("INBOUND", {"CallType": "CONSULTANT", "Originator": "021", "Destination": "186"}, "186"),  # consulted out
        ("OUTBOUND", {"CallType": None, "Originator": "021", "Destination": ""}, "021"),  # the preferred end empty
    ],
)
def test_the_outside_number_is_the_far_end_of_its_leg(call_type: str, leg: dict[str, Any], number: str) -> None:
    channel = ChannelContext.model_validate({**CUSTOMER, **leg})
    assert external_number(channel, call_type) == number


def test_flags_not_reported_are_absent_not_empty() -> None:
    hold_answer = {key: value for key, value in CUSTOMER.items() if key != "ChannelFlags"}
    view = call_view(_call(hold_answer))
    assert view is not None
    assert "flags" not in _dump(view)["channel_contexts"][0]


@pytest.mark.parametrize("context", [None, {"JobId": "", "ChannelContexts": []}, {}], ids=["absent", "empty", "bare"])
def test_no_call_is_no_call_context(context: dict[str, Any] | None) -> None:
    """CCC may send an empty CallContext for an agent without a call (after-call work, READY, ...)."""
    assert call_view(CallContext.model_validate(context) if context is not None else None) is None


def test_the_agent_keeps_what_a_decision_needs_and_nothing_empty() -> None:
    user = UserContext.model_validate(
        {"UserId": "a@x", "UserState": "WORKING", "JobId": "", "Extension": "8001", "BreakCode": "", "Mobile": "139",
         "DeviceId": "d", "Heartbeat": 1, "InstanceId": "x", "SignedSkillGroupIdList": ["s"], "Reserved": 2}
    )
    assert _dump(user_view(user)) == {"user_id": "a@x", "user_state": "WORKING", "extension": "8001"}
