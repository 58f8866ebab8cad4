"""The state machine of call control, tested directly: no HTTP, no signing.

These tests are the rules of UnmuteCall/MuteCall in executable form (see state.py's docstring).
"""

from __future__ import annotations

from typing import Any

import pytest

from ccc_mcp.simulator.centre import MUTED, Credential
from ccc_mcp.simulator.demo_cast import default_scenario
from ccc_mcp.simulator.scenario import build_state
from ccc_mcp.simulator.state import SimulatorState
from ccc_mcp.simulator.wire_errors import CccError

AGENT = "agent@ccc-demo"
AGENT_CHANNEL = "ch:user:13900000001->8001:1700000000000:job-demo-1"
CUSTOMER_CHANNEL = "ch:customer:13900000001->02100000000:1700000000000:job-demo-1"
CALLER = Credential("ak", "secret", user_id=AGENT)


@pytest.fixture
def state() -> SimulatorState:
    return build_state(default_scenario())


def error_of(excinfo: pytest.ExceptionInfo[CccError]) -> tuple[str, int, tuple[str, ...]]:
    return excinfo.value.code, excinfo.value.status, excinfo.value.params


def test_unmute_removes_muted_from_the_agents_channel(state: SimulatorState) -> None:
    target = state.set_muted(False, instance_id="ccc-demo", user_id=AGENT)
    assert target.channel.channel_id == AGENT_CHANNEL
    assert MUTED not in target.channel.flags
    assert state.instances["ccc-demo"].calls["job-demo-1"].channel(AGENT_CHANNEL).flags == []  # type: ignore[union-attr]


def test_unmute_is_idempotent_and_mute_adds_the_flag_once(state: SimulatorState) -> None:
    state.set_muted(False, instance_id="ccc-demo", user_id=AGENT)
    again = state.set_muted(False, instance_id="ccc-demo", user_id=AGENT)
    assert again.channel.flags == []
    state.set_muted(True, instance_id="ccc-demo", user_id=AGENT, job_id="job-demo-1")
    muted = state.set_muted(True, instance_id="ccc-demo", user_id=AGENT, job_id="job-demo-1")
    assert muted.channel.flags == [MUTED]


def test_user_id_omitted_means_the_callers_agent(state: SimulatorState) -> None:
    target = state.set_muted(False, instance_id="ccc-demo", caller=CALLER)
    assert target.agent.user_id == AGENT


def test_blank_optional_ids_count_as_omitted(state: SimulatorState) -> None:
    target = state.set_muted(False, instance_id="ccc-demo", user_id=AGENT, job_id="  ", channel_id="")
    assert target.channel.channel_id == AGENT_CHANNEL


def test_channel_id_selects_another_channel_of_the_call(state: SimulatorState) -> None:
    target = state.set_muted(True, instance_id="ccc-demo", user_id=AGENT, channel_id=CUSTOMER_CHANNEL)
    assert target.channel.flags == [MUTED]
    assert target.call.channel(AGENT_CHANNEL).flags == [MUTED]  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("kwargs", "expected"),
    [
        ({"instance_id": "ccc-missing", "user_id": AGENT}, ("NotExists.InstanceId", 404, ("ccc-missing",))),
        ({"instance_id": "ccc-demo", "user_id": "nobody@ccc-demo"},
         ("NotExists.UserId", 404, ("nobody@ccc-demo",))),
        ({"instance_id": "ccc-demo"}, ("Parameter.Blank", 400, ("UserId",))),
        ({"instance_id": "ccc-demo", "user_id": "idle@ccc-demo"},
         ("InvalidOperation.UserState", 400, ("READY", "TALKING"))),
        ({"instance_id": "ccc-demo", "user_id": "break@ccc-demo"},
         ("InvalidOperation.UserState", 400, ("BREAK", "TALKING"))),
        ({"instance_id": "ccc-demo", "user_id": AGENT, "job_id": "job-missing"},
         ("NotExists.JobId", 404, ("job-missing",))),
        ({"instance_id": "ccc-demo", "user_id": AGENT, "job_id": "job-demo-2"},
         ("NotExists.JobId", 404, ("job-demo-2",))),
        ({"instance_id": "ccc-demo", "user_id": AGENT, "channel_id": "ch-missing"},
         ("NotExists.ChannelId", 404, ("ch-missing", "job-demo-1"))),
        ({"instance_id": "ccc-demo", "user_id": "ringing@ccc-demo"},
         ("InvalidOperation.ChannelState", 400, ("EARLY", "ANSWERED"))),
        ({"instance_id": "ccc-demo", "user_id": "cti-fail@ccc-demo"},
         ("InternalService.CTI", 500, ("The CTI gateway did not answer in time (simulated).",))),
    ],
)
def test_each_rule_answers_with_its_code_status_and_params(
    state: SimulatorState, kwargs: dict[str, Any], expected: tuple[str, int, tuple[str, ...]]
) -> None:
    with pytest.raises(CccError) as excinfo:
        state.set_muted(False, **kwargs)
    assert error_of(excinfo) == expected


def test_a_failed_action_changes_nothing(state: SimulatorState) -> None:
    before = state.snapshot()
    with pytest.raises(CccError):
        state.set_muted(False, instance_id="ccc-demo", user_id="cti-fail@ccc-demo")
    assert state.snapshot() == before


def test_error_messages_fill_the_page_templates(state: SimulatorState) -> None:
    with pytest.raises(CccError) as excinfo:
        state.set_muted(False, instance_id="ccc-demo", user_id="ringing@ccc-demo")
    assert excinfo.value.message == (
        "The operation is not allowed. Channel stats (EARLY) does not meet expectations (ANSWERED)."
    )


def test_get_user_by_id_by_extension_and_by_caller(state: SimulatorState) -> None:
    assert state.get_user(instance_id="ccc-demo", user_id="idle@ccc-demo")[1].state == "READY"
    assert state.get_user(instance_id="ccc-demo", extension="8003")[1].user_id == "ringing@ccc-demo"
    assert state.get_user(instance_id="ccc-demo", caller=CALLER)[1].user_id == AGENT
    with pytest.raises(CccError, match=r"NotExists\.UserId"):
        state.get_user(instance_id="ccc-demo", extension="9999")


def test_replace_with_restores_in_place(state: SimulatorState) -> None:
    live = state
    live.set_muted(False, instance_id="ccc-demo", user_id=AGENT)
    live.replace_with(build_state(default_scenario()))
    assert live.instances["ccc-demo"].calls["job-demo-1"].channel(AGENT_CHANNEL).muted  # type: ignore[union-attr]


def test_snapshot_leaves_secrets_out(state: SimulatorState) -> None:
    text = repr(state.snapshot())
    assert "sim-access-key-secret" not in text
    assert "sim-security-token" not in text
    assert "sim-access-key-secret" not in repr(state.credentials["sim-access-key-id"])
