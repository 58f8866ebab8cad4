"""HoldCall and RetrieveCall in the state machine, tested directly: no HTTP, no signing.

Hold is a flag (`HOLD`) on one channel of the agent's call, never a channel state or a user state. The
rules are the call-control family's (state.py's docstring), plus the flag precondition of each action and
the scenario's `repeats` option.
"""

from __future__ import annotations

from typing import Any

import pytest

from ccc_mcp.simulator.centre import HOLD, MUTED, Channel, Credential
from ccc_mcp.simulator.clock import FixedClock
from ccc_mcp.simulator.contexts import channel_flags_text
from ccc_mcp.simulator.demo_cast import default_scenario
from ccc_mcp.simulator.scenario import build_state
from ccc_mcp.simulator.state import SimulatorState
from ccc_mcp.simulator.wire_errors import CccError

from .cast import (
    AGENT,
    AGENT_CHANNEL,
    AGENT_JOB,
    BREAK,
    CTI_CUSTOMER,
    CTI_DETAIL,
    CTI_FAIL,
    CTI_JOB,
    IDLE,
    INSTANCE,
    RINGING,
    RINGING_CHANNEL,
    RINGING_JOB,
    T_CHANNEL,
    T_NOW,
    WANG,
    WANG_CHANNEL,
    WANG_CUSTOMER,
    WANG_JOB,
)

WANG_CALLER = Credential("ak-wang", "secret", user_id=WANG)


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(T_NOW)


def make_state(clock: FixedClock, repeats: str = "noop") -> SimulatorState:
    scenario = default_scenario().model_copy(update={"repeats": repeats})
    return build_state(scenario, clock=clock)


@pytest.fixture
def state(clock: FixedClock) -> SimulatorState:
    return make_state(clock)


def channel(state: SimulatorState, job_id: str, channel_id: str) -> Channel:
    found = state.instances[INSTANCE].calls[job_id].channel(channel_id)
    assert found is not None
    return found


def hold(state: SimulatorState, **overrides: Any) -> Any:
    kwargs = {"instance_id": INSTANCE, "user_id": WANG, "job_id": WANG_JOB, "channel_id": WANG_CUSTOMER, **overrides}
    return state.set_held(True, **kwargs)


def retrieve(state: SimulatorState, **overrides: Any) -> Any:
    kwargs = {"instance_id": INSTANCE, "user_id": WANG, "job_id": WANG_JOB, "channel_id": WANG_CUSTOMER, **overrides}
    return state.set_held(False, **kwargs)


def error_of(excinfo: pytest.ExceptionInfo[CccError]) -> tuple[str, int, tuple[str, ...]]:
    return excinfo.value.code, excinfo.value.status, excinfo.value.params


def test_wang_starts_on_a_call_neither_muted_nor_held(state: SimulatorState) -> None:
    wang = state.instances[INSTANCE].agents[WANG]
    assert (wang.state, wang.job_id, wang.extension, wang.display_name) == ("TALKING", WANG_JOB, "8006", "Wang Fang")
    assert channel(state, WANG_JOB, WANG_CUSTOMER).flags == []
    assert channel(state, WANG_JOB, WANG_CHANNEL).flags == []


def test_hold_flags_the_customer_channel_and_nothing_else(state: SimulatorState, clock: FixedClock) -> None:
    clock.advance(1_234)
    target = hold(state)
    customer = channel(state, WANG_JOB, WANG_CUSTOMER)
    assert target.channel is customer
    assert (customer.state, customer.flags, customer.timestamp) == ("ANSWERED", [HOLD], T_NOW + 1_234)
    assert channel(state, WANG_JOB, WANG_CHANNEL).flags == []
    assert state.instances[INSTANCE].agents[WANG].state == "TALKING"  # hold is no user state
    assert state.revision == 1


def test_retrieve_removes_hold_and_stamps_the_channel(state: SimulatorState, clock: FixedClock) -> None:
    hold(state)
    clock.advance(30_000)
    target = retrieve(state)
    assert (target.channel.flags, target.channel.timestamp) == ([], T_NOW + 30_000)
    assert state.revision == 2


def test_any_channel_of_the_call_can_be_held_including_the_agents_own(state: SimulatorState) -> None:
    target = hold(state, channel_id=WANG_CHANNEL)
    assert target.channel.channel_id == WANG_CHANNEL
    assert channel(state, WANG_JOB, WANG_CUSTOMER).flags == []


def test_user_id_omitted_means_the_callers_agent(state: SimulatorState) -> None:
    target = hold(state, user_id=None, caller=WANG_CALLER)
    assert target.agent.user_id == WANG


def test_holding_a_held_channel_is_a_no_op_by_default(state: SimulatorState, clock: FixedClock) -> None:
    hold(state)
    clock.advance(5_000)
    again = hold(state)
    assert again.channel.flags == [HOLD]
    assert again.channel.timestamp == T_NOW  # nothing changed, so nothing was stamped
    assert state.revision == 1


def test_strict_repeats_make_holding_a_held_channel_an_error(clock: FixedClock) -> None:
    state = make_state(clock, "strict")
    hold(state)
    with pytest.raises(CccError) as excinfo:
        hold(state)
    assert error_of(excinfo) == ("InvalidOperation.ChannelState", 400, ("HOLD", "ANSWERED"))
    assert excinfo.value.message == T_CHANNEL % ("HOLD", "ANSWERED")


@pytest.mark.parametrize("repeats", ["noop", "strict"])
def test_retrieving_a_channel_that_is_not_held_is_an_error_in_every_mode(clock: FixedClock, repeats: str) -> None:
    state = make_state(clock, repeats)
    with pytest.raises(CccError) as excinfo:
        retrieve(state)
    assert error_of(excinfo) == ("InvalidOperation.ChannelState", 400, ("ANSWERED", "HOLD"))
    assert excinfo.value.message == T_CHANNEL % ("ANSWERED", "HOLD")


def test_retrieving_twice_fails_the_second_time(state: SimulatorState) -> None:
    hold(state)
    retrieve(state)
    with pytest.raises(CccError, match=r"InvalidOperation\.ChannelState"):
        retrieve(state)


@pytest.mark.parametrize("repeats", ["noop", "strict"])
def test_mute_and_unmute_stay_idempotent_in_every_mode(clock: FixedClock, repeats: str) -> None:
    state = make_state(clock, repeats)
    state.set_muted(True, instance_id=INSTANCE, user_id=WANG, job_id=WANG_JOB)
    assert state.set_muted(True, instance_id=INSTANCE, user_id=WANG, job_id=WANG_JOB).channel.flags == [MUTED]
    state.set_muted(False, instance_id=INSTANCE, user_id=WANG)
    assert state.set_muted(False, instance_id=INSTANCE, user_id=WANG).channel.flags == []


def test_hold_and_mute_are_independent_flags(state: SimulatorState) -> None:
    state.set_muted(True, instance_id=INSTANCE, user_id=WANG, job_id=WANG_JOB)
    both = hold(state, channel_id=WANG_CHANNEL)
    assert sorted(both.channel.flags) == [HOLD, MUTED]
    assert channel_flags_text(both.channel.flags) == "[HOLD, MUTED]"
    state.set_muted(False, instance_id=INSTANCE, user_id=WANG)
    assert both.channel.flags == [HOLD]
    assert both.channel.state == "ANSWERED"


HOLD_ERRORS = [
    pytest.param({"instance_id": "ccc-missing"}, ("NotExists.InstanceId", 404, ("ccc-missing",)), id="instance"),
    pytest.param({"user_id": "nobody@ccc-demo"}, ("NotExists.UserId", 404, ("nobody@ccc-demo",)), id="user"),
    pytest.param({"user_id": None}, ("Parameter.Blank", 400, ("UserId",)), id="no-user-no-caller"),
    pytest.param({"user_id": IDLE}, ("InvalidOperation.UserState", 400, ("READY", "TALKING")), id="ready"),
    pytest.param({"user_id": BREAK}, ("InvalidOperation.UserState", 400, ("BREAK", "TALKING")), id="break"),
    pytest.param({"job_id": "job-missing"}, ("NotExists.JobId", 404, ("job-missing",)), id="job-missing"),
    pytest.param({"job_id": AGENT_JOB}, ("NotExists.JobId", 404, (AGENT_JOB,)), id="someone-elses-job"),
    pytest.param({"channel_id": "ch-missing"}, ("NotExists.ChannelId", 404, ("ch-missing", WANG_JOB)),
                 id="channel-missing"),
    pytest.param({"channel_id": AGENT_CHANNEL}, ("NotExists.ChannelId", 404, (AGENT_CHANNEL, WANG_JOB)),
                 id="channel-of-another-call"),
    pytest.param({"user_id": RINGING, "job_id": RINGING_JOB, "channel_id": RINGING_CHANNEL},
                 ("InvalidOperation.ChannelState", 400, ("EARLY", "ANSWERED")), id="channel-not-answered"),
    pytest.param({"user_id": CTI_FAIL, "job_id": CTI_JOB, "channel_id": CTI_CUSTOMER},
                 ("InternalService.CTI", 500, (CTI_DETAIL,)), id="cti"),
]


@pytest.mark.parametrize(("overrides", "expected"), HOLD_ERRORS)
def test_each_hold_rule_answers_with_its_code_status_and_params(
    state: SimulatorState, overrides: dict[str, Any], expected: tuple[str, int, tuple[str, ...]]
) -> None:
    with pytest.raises(CccError) as excinfo:
        hold(state, **overrides)
    assert error_of(excinfo) == expected


@pytest.mark.parametrize(("overrides", "expected"), HOLD_ERRORS[:-1])
def test_retrieve_applies_the_same_rules_before_its_own(
    state: SimulatorState, overrides: dict[str, Any], expected: tuple[str, int, tuple[str, ...]]
) -> None:
    with pytest.raises(CccError) as excinfo:
        retrieve(state, **overrides)
    assert error_of(excinfo) == expected


def test_the_hold_precondition_comes_before_the_cti_back_end(state: SimulatorState) -> None:
    """A retrieve of a channel that is not held is refused before CTI is reached; a held one reaches it."""
    cti = {"user_id": CTI_FAIL, "job_id": CTI_JOB, "channel_id": CTI_CUSTOMER}
    with pytest.raises(CccError) as excinfo:
        retrieve(state, **cti)
    assert error_of(excinfo) == ("InvalidOperation.ChannelState", 400, ("ANSWERED", "HOLD"))
    channel(state, CTI_JOB, CTI_CUSTOMER).flags.append(HOLD)
    with pytest.raises(CccError) as excinfo:
        retrieve(state, **cti)
    assert error_of(excinfo) == ("InternalService.CTI", 500, (CTI_DETAIL,))


def test_a_failed_hold_changes_nothing(state: SimulatorState, clock: FixedClock) -> None:
    before = state.snapshot()
    with pytest.raises(CccError):
        hold(state, user_id=CTI_FAIL, job_id=CTI_JOB, channel_id=CTI_CUSTOMER)
    assert state.snapshot() == before
    assert state.revision == 0


def test_agents_other_calls_are_untouched(state: SimulatorState) -> None:
    hold(state)
    assert channel(state, AGENT_JOB, AGENT_CHANNEL).flags == [MUTED]
    assert state.instances[INSTANCE].agents[AGENT].state == "TALKING"
