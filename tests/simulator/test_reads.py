"""The read actions, called as handlers on a state with a fixed clock: no HTTP, exact `Data`.

PollUserStatus (the agent's live call), GetUser (a profile), ListUsers (the directory) and
ListRealtimeAgentStates (who is doing what, and since when).
"""

from __future__ import annotations

from typing import Any

import pytest

from ccc_mcp.simulator.actions import ACTIONS
from ccc_mcp.simulator.centre import Credential
from ccc_mcp.simulator.clock import FixedClock
from ccc_mcp.simulator.demo_cast import default_scenario
from ccc_mcp.simulator.scenario import build_state, parse_scenario
from ccc_mcp.simulator.state import SimulatorState
from ccc_mcp.simulator.wire_errors import CccError

from .cast import (
    AGENT,
    BREAK,
    CTI_FAIL,
    EVERYONE,
    IDLE,
    INSTANCE,
    RINGING,
    SKILL_GROUP,
    SKILL_GROUP_NAME,
    T_NOW,
    WANG,
    WANG_CHANNEL,
    WANG_CUSTOMER,
    WANG_JOB,
)

CALLER = Credential("sim-access-key-id", "secret", user_id=AGENT)
NOBODY = Credential("ak-nobody", "secret")
PAGE = {"InstanceId": INSTANCE, "PageNumber": "1", "PageSize": "10"}


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(T_NOW)


@pytest.fixture
def state(clock: FixedClock) -> SimulatorState:
    return build_state(default_scenario(), clock=clock)


def run(state: SimulatorState, action: str, params: dict[str, str], caller: Credential = CALLER) -> dict[str, Any]:
    return ACTIONS[action].handler(state, params, caller)


def failure(state: SimulatorState, action: str, params: dict[str, str], caller: Credential = CALLER) -> CccError:
    with pytest.raises(CccError) as excinfo:
        run(state, action, params, caller)
    return excinfo.value


def ids(data: dict[str, Any], key: str = "AgentId") -> list[str]:
    return [row[key] for row in data["List"]]


# -- PollUserStatus ----------------------------------------------------------------------------------


def test_poll_user_status_gives_the_agents_call_and_channels(state: SimulatorState) -> None:
    data = run(state, "PollUserStatus", {"InstanceId": INSTANCE, "UserId": WANG, "DeviceId": "ignored"})
    assert list(data) == ["UserContext", "CallContext", "ContextId", "ChatContexts"]
    assert data["UserContext"] == {
        "UserId": WANG, "UserState": "TALKING", "InstanceId": INSTANCE, "JobId": WANG_JOB,
        "DeviceId": "ACC-SIM-8006", "Extension": "8006", "Mobile": "13800008006", "WorkMode": "ON_SITE",
        "Heartbeat": T_NOW, "Reserved": 1_700_000_300_000, "OutboundScenario": False,
        "SignedSkillGroupIdList": [SKILL_GROUP], "ParallelJobList": [],
    }
    call = data["CallContext"]
    assert (call["JobId"], call["CallType"], call["InstanceId"]) == (WANG_JOB, "INBOUND", INSTANCE)
    assert [(c["ChannelId"], c.get("UserId"), c["ChannelState"], c["ChannelFlags"]) for c in call["ChannelContexts"]] == [
        (WANG_CUSTOMER, None, "ANSWERED", "[]"),
        (WANG_CHANNEL, WANG, "ANSWERED", "[]"),
    ]
    assert (data["ContextId"], data["ChatContexts"]) == (0, [])


def test_poll_user_status_without_a_call_leaves_call_context_out(state: SimulatorState) -> None:
    data = run(state, "PollUserStatus", {"InstanceId": INSTANCE, "UserId": IDLE})
    assert list(data) == ["UserContext", "ContextId", "ChatContexts"]
    assert "JobId" not in data["UserContext"]
    assert "Reserved" not in data["UserContext"]  # never reserved in the default scenario
    assert data["UserContext"]["UserState"] == "READY"


def test_poll_user_status_defaults_to_the_callers_agent(state: SimulatorState) -> None:
    assert run(state, "PollUserStatus", {"InstanceId": INSTANCE})["UserContext"]["UserId"] == AGENT


def test_poll_user_status_shows_flags_set_by_hold_and_a_new_context_id(state: SimulatorState) -> None:
    state.set_held(True, instance_id=INSTANCE, user_id=WANG, job_id=WANG_JOB, channel_id=WANG_CUSTOMER)
    data = run(state, "PollUserStatus", {"InstanceId": INSTANCE, "UserId": WANG})
    flags = {c["ChannelId"]: c["ChannelFlags"] for c in data["CallContext"]["ChannelContexts"]}
    assert flags == {WANG_CUSTOMER: "[HOLD]", WANG_CHANNEL: "[]"}
    assert data["ContextId"] == 1


def test_poll_user_status_changes_nothing(state: SimulatorState) -> None:
    before = state.snapshot()
    run(state, "PollUserStatus", {"InstanceId": INSTANCE, "UserId": WANG})
    assert state.snapshot() == before


@pytest.mark.parametrize(
    ("params", "caller", "expected"),
    [
        ({"InstanceId": " "}, CALLER, ("Parameter.Blank", 400, ("InstanceId",),
                                       "The parameter InstanceId may not be null or blank.")),
        ({"InstanceId": "ccc-missing"}, CALLER, ("NotExists.InstanceId", 404, ("ccc-missing",),
                                                 "The specified instance ccc-missing does not exist.")),
        ({"InstanceId": INSTANCE, "UserId": "nobody@ccc-demo"}, CALLER,
         ("NotExists.UserId", 404, ("nobody@ccc-demo", INSTANCE),
          "The user nobody@ccc-demo does not exist in instance ccc-demo.")),
        ({"InstanceId": INSTANCE}, NOBODY, ("Parameter.Blank", 400, ("UserId",),
                                            "The parameter UserId may not be null or blank.")),
    ],
)
def test_poll_user_status_errors(
    state: SimulatorState, params: dict[str, str], caller: Credential, expected: tuple[str, int, tuple[str, ...], str]
) -> None:
    error = failure(state, "PollUserStatus", params, caller)
    assert (error.code, error.status, error.params, error.message) == expected


def test_call_control_keeps_its_own_wording_of_an_unknown_user(state: SimulatorState) -> None:
    error = failure(state, "MuteCall", {"InstanceId": INSTANCE, "UserId": "nobody@ccc-demo", "JobId": WANG_JOB})
    assert (error.params, error.message) == (("nobody@ccc-demo",), "The specified user nobody@ccc-demo does not exist.")


# -- GetUser -----------------------------------------------------------------------------------------

WANG_PROFILE = {
    "UserId": WANG, "LoginName": "wang", "DisplayName": "Wang Fang", "DisplayId": "1006",
    "Email": "wang@example.com", "Mobile": "13800008006", "Extension": "8006", "WorkMode": "ON_SITE",
    "RoleId": "Agent@ccc-demo", "RoleName": "Agent", "DeviceId": "ACC-SIM-8006", "DeviceState": "UNREGISTERED",
    "InstanceId": INSTANCE,
}


def test_get_user_answers_a_profile_without_state_or_job(state: SimulatorState) -> None:
    data = run(state, "GetUser", {"InstanceId": INSTANCE, "UserId": WANG})
    assert data == WANG_PROFILE
    assert not {"UserState", "JobId", "Heartbeat", "BreakCode", "SignedSkillGroupIdList"} & set(data)


def test_get_user_by_extension_and_by_caller(state: SimulatorState) -> None:
    assert run(state, "GetUser", {"InstanceId": INSTANCE, "Extension": "8006"}) == WANG_PROFILE
    assert run(state, "GetUser", {"InstanceId": INSTANCE})["UserId"] == AGENT


def test_get_user_with_both_selectors_follows_the_user_id(state: SimulatorState) -> None:
    assert run(state, "GetUser", {"InstanceId": INSTANCE, "UserId": IDLE, "Extension": "8006"})["UserId"] == IDLE


def test_get_user_of_an_unknown_user_uses_metas_wording(state: SimulatorState) -> None:
    error = failure(state, "GetUser", {"InstanceId": INSTANCE, "UserId": "nobody@ccc-demo"})
    assert (error.code, error.params) == ("NotExists.UserId", ("nobody@ccc-demo", INSTANCE))


def test_get_user_of_an_unknown_extension_uses_metas_wording(state: SimulatorState) -> None:
    error = failure(state, "GetUser", {"InstanceId": INSTANCE, "Extension": "9999"})
    assert (error.code, error.status, error.params) == ("NotExists.UserId", 404, ("9999", INSTANCE))
    assert error.message == "The user 9999 does not exist in instance ccc-demo."


def test_get_user_shows_optional_profile_fields_when_the_scenario_has_them() -> None:
    scenario = parse_scenario({
        "credentials": [{"access_key_id": "a", "access_key_secret": "s"}],
        "instances": [{"instance_id": "ccc-x", "agents": [{
            "user_id": "boss@ccc-x", "display_name": "The Boss", "role": "Admin", "nickname": "B",
            "avatar_url": "http://example.com/b.png", "device_ext": "8033", "device_state": "ONLINE",
        }]}],
    })
    data = run(build_state(scenario), "GetUser", {"InstanceId": "ccc-x", "UserId": "boss@ccc-x"})
    assert data == {
        "UserId": "boss@ccc-x", "LoginName": "boss", "DisplayName": "The Boss", "DisplayId": "boss",
        "Nickname": "B", "AvatarUrl": "http://example.com/b.png", "Email": "boss@example.com",
        "WorkMode": "ON_SITE", "RoleId": "Admin@ccc-x", "RoleName": "Admin", "DeviceExt": "8033",
        "DeviceState": "ONLINE", "InstanceId": "ccc-x",
    }


# -- ListUsers ---------------------------------------------------------------------------------------


def test_list_users_lists_everyone_with_profiles_and_skill_levels(state: SimulatorState) -> None:
    data = run(state, "ListUsers", PAGE)
    assert (data["PageNumber"], data["PageSize"], data["TotalCount"]) == (1, 10, 6)
    assert ids(data, "UserId") == EVERYONE
    assert data["List"][-1] == {
        "UserId": WANG, "LoginName": "wang", "DisplayName": "Wang Fang", "DisplayId": "1006",
        "Email": "wang@example.com", "Mobile": "13800008006", "Extension": "8006", "WorkMode": "ON_SITE",
        "RoleId": "Agent@ccc-demo", "RoleName": "Agent", "DeviceId": "ACC-SIM-8006", "DeviceState": "UNREGISTERED",
        "Primary": False, "PrimaryAccount": False, "PersonalOutboundNumberList": [],
        "SkillLevelList": [{"SkillGroupId": SKILL_GROUP, "SkillGroupName": SKILL_GROUP_NAME, "SkillLevel": 1}],
    }


@pytest.mark.parametrize(
    ("pattern", "expected"),
    [("WANG", [WANG]), ("fang", [WANG]), ("cti", [CTI_FAIL]), ("zhao", [BREAK]), ("8006", []), ("", EVERYONE)],
)
def test_list_users_search_pattern_matches_login_or_display_name(
    state: SimulatorState, pattern: str, expected: list[str]
) -> None:
    assert ids(run(state, "ListUsers", {**PAGE, "SearchPattern": pattern}), "UserId") == expected


def test_list_users_skill_group_filter(state: SimulatorState) -> None:
    assert ids(run(state, "ListUsers", {**PAGE, "SkillGroupId": SKILL_GROUP}), "UserId") == EVERYONE
    other = run(state, "ListUsers", {**PAGE, "SkillGroupId": "other@ccc-demo"})
    assert (other["TotalCount"], other["List"]) == (0, [])


def test_list_users_pages(state: SimulatorState) -> None:
    second = run(state, "ListUsers", {**PAGE, "PageNumber": "2", "PageSize": "4"})
    assert (second["TotalCount"], ids(second, "UserId")) == (6, [BREAK, WANG])
    assert run(state, "ListUsers", {**PAGE, "PageNumber": "3", "PageSize": "4"})["List"] == []


PAGING_ERRORS = [
    pytest.param({"PageNumber": None}, ("Parameter.Null", ("PageNumber",), "The parameter PageNumber may not be null."),
                 id="null-number"),
    pytest.param({"PageSize": " "}, ("Parameter.Null", ("PageSize",), "The parameter PageSize may not be null."),
                 id="blank-size"),
    pytest.param({"PageSize": "0"}, ("Parameter.Minimum", ("PageSize", "1"),
                                     "The parameter PageSize must be greater than or equal to 1."), id="minimum"),
    pytest.param({"PageNumber": "101"}, ("Parameter.Maximum", ("PageNumber", "100"),
                                         "The parameter PageNumber must be less than or equal to 100."), id="maximum"),
    pytest.param({"PageSize": "ten"}, ("Parameter.Invalid", ("PageSize",), "The parameter PageSize is invalid."),
                 id="not-a-number"),
    pytest.param({"InstanceId": None}, ("Parameter.Null", ("InstanceId",), "The parameter InstanceId may not be null."),
                 id="no-instance"),
]


def with_overrides(overrides: dict[str, str | None]) -> dict[str, str]:
    merged: dict[str, str | None] = {**PAGE, **overrides}
    return {k: v for k, v in merged.items() if v is not None}


@pytest.mark.parametrize("action", ["ListUsers", "ListRealtimeAgentStates"])
@pytest.mark.parametrize(("overrides", "expected"), PAGING_ERRORS)
def test_paging_and_required_errors_of_both_lists(
    state: SimulatorState, action: str, overrides: dict[str, str | None], expected: tuple[str, tuple[str, ...], str]
) -> None:
    error = failure(state, action, with_overrides(overrides))
    assert (error.code, error.status, error.params, error.message) == (expected[0], 400, *expected[1:])


@pytest.mark.parametrize("action", ["ListUsers", "ListRealtimeAgentStates"])
def test_both_lists_answer_an_unknown_instance(state: SimulatorState, action: str) -> None:
    error = failure(state, action, {**PAGE, "InstanceId": "ccc-missing"})
    assert (error.code, error.status, error.params) == ("NotExists.InstanceId", 404, ("ccc-missing",))


@pytest.mark.parametrize("action", ["ListUsers", "ListRealtimeAgentStates"])
def test_paging_is_lenient_about_spaces_and_accepts_the_limits(state: SimulatorState, action: str) -> None:
    data = run(state, action, {**PAGE, "PageNumber": " 1 ", "PageSize": "100"})
    assert (data["PageNumber"], data["PageSize"], data["TotalCount"]) == (1, 100, 6)


# -- ListRealtimeAgentStates -------------------------------------------------------------------------


def test_realtime_states_of_everyone(state: SimulatorState, clock: FixedClock) -> None:
    data = run(state, "ListRealtimeAgentStates", PAGE)
    assert (data["PageNumber"], data["PageSize"], data["TotalCount"]) == (1, 10, 6)
    assert [(r["AgentId"], r["State"], r.get("CallType")) for r in data["List"]] == [
        (AGENT, "Talking", "Inbound"),
        (IDLE, "Ready", None),
        (RINGING, "Talking", "Inbound"),
        (CTI_FAIL, "Talking", "Outbound"),
        (BREAK, "Break", None),
        (WANG, "Talking", "Inbound"),
    ]


def test_a_realtime_row_in_full(state: SimulatorState, clock: FixedClock) -> None:
    clock.advance(90_500)
    rows = run(state, "ListRealtimeAgentStates", PAGE)["List"]
    assert rows[-1] == {
        "AgentId": WANG, "AgentName": "Wang Fang", "InstanceId": INSTANCE, "Extension": "8006",
        "Mobile": "13800008006", "WorkMode": "ON_SITE", "OutboundScenario": False,
        "SkillGroupIdList": [SKILL_GROUP], "SkillGroupNameList": [SKILL_GROUP_NAME],
        "State": "Talking", "StateTime": T_NOW, "Duration": 90, "CallType": "Inbound",
    }
    assert (rows[4]["State"], rows[4]["BreakCode"], "CallType" in rows[4]) == ("Break", "Warm-up", False)


def realtime(state: SimulatorState, **filters: str) -> list[str]:
    return ids(run(state, "ListRealtimeAgentStates", {**PAGE, **filters}))


@pytest.mark.parametrize(
    ("filters", "expected"),
    [
        ({"Query": "Wang"}, [WANG]),
        ({"Query": "wANG fa"}, [WANG]),
        ({"Query": "1006"}, [WANG]),  # employee number
        ({"Query": "8006"}, [WANG]),  # extension
        ({"Query": "800"}, EVERYONE),
        ({"Query": "wang@"}, []),  # the user id is not searched
        ({"AgentName": "fang"}, [WANG]),
        ({"AgentName": "8006"}, []),
        ({"AgentIdList": '["wang@ccc-demo", "idle@ccc-demo"]'}, [IDLE, WANG]),
        ({"AgentIdList": "[]"}, EVERYONE),
        ({"StateList": '["Talking"]'}, [AGENT, RINGING, CTI_FAIL, WANG]),
        ({"StateList": '["ready", "BREAK"]'}, [IDLE, BREAK]),
        ({"StateList": '["ACW", "Dialing"]'}, []),
        ({"StateList": '["Holding"]'}, []),
        ({"WorkModeList": '["on_site"]'}, EVERYONE),
        ({"WorkModeList": '["OFFICE_PHONE"]'}, []),
        ({"CallTypeList": '["Inbound"]'}, [AGENT, RINGING, WANG]),
        ({"CallTypeList": '["outbound", "Internal"]'}, [CTI_FAIL]),
        ({"OutboundScenario": "False"}, EVERYONE),
        ({"OutboundScenario": "false"}, EVERYONE),
        ({"OutboundScenario": "TRUE"}, []),
        ({"MediaType": "AUDIO"}, EVERYONE),
        ({"MediaType": "all"}, EVERYONE),
        ({"MediaType": "Chat"}, []),
        ({"SkillGroupId": SKILL_GROUP}, EVERYONE),
        ({"SkillGroupId": "other@ccc-demo"}, []),
        ({"Query": "wang", "StateList": '["Ready"]'}, []),
    ],
)
def test_realtime_filters(state: SimulatorState, filters: dict[str, str], expected: list[str]) -> None:
    assert realtime(state, **filters) == expected


@pytest.mark.parametrize(
    ("filters", "expected"),
    [
        ({"StateList": '["Talking"'}, ("Parameter.Invalid", ("StateList",))),
        ({"AgentIdList": "wang@ccc-demo"}, ("Parameter.Invalid", ("AgentIdList",))),
        ({"WorkModeList": '"ON_SITE"'}, ("Parameter.Invalid", ("WorkModeList",))),
        ({"CallTypeList": "[1]"}, ("Parameter.Invalid", ("CallTypeList",))),
        ({"OutboundScenario": "yes"}, ("Parameter.Invalid", ("OutboundScenario",))),
        ({"AgentIdList": str([f"a{i}@ccc-demo" for i in range(21)]).replace("'", '"')},
         ("Parameter.Maximum", ("AgentIdList", "20"))),
    ],
)
def test_realtime_filter_errors(
    state: SimulatorState, filters: dict[str, str], expected: tuple[str, tuple[str, ...]]
) -> None:
    error = failure(state, "ListRealtimeAgentStates", {**PAGE, **filters})
    assert (error.code, error.status, error.params) == (expected[0], 400, expected[1])


def test_twenty_agent_ids_are_allowed(state: SimulatorState) -> None:
    twenty = [WANG] + [f"a{i}@ccc-demo" for i in range(19)]
    assert realtime(state, AgentIdList=str(twenty).replace("'", '"')) == [WANG]


def test_after_call_work_is_acw_and_sub_states_show() -> None:
    scenario = parse_scenario({
        "credentials": [{"access_key_id": "a", "access_key_secret": "s"}],
        "instances": [{"instance_id": "ccc-x", "agents": [
            {"user_id": "acw@ccc-x", "state": "WORKING", "state_since": T_NOW - 65_000},
            {"user_id": "mon@ccc-x", "state": "TALKING", "job_id": "job-1", "state_code": "Monitoring",
             "counter_party": "agent@ccc-x", "outbound_scenario": True},
            {"user_id": "off@ccc-x", "state": "OFFLINE"},
        ], "calls": [{"job_id": "job-1", "call_type": "MONITOR", "channels": [
            {"channel_id": "ch-mon", "user_id": "mon@ccc-x"}]}]}],
    })
    state = build_state(scenario, clock=FixedClock(T_NOW))
    rows = run(state, "ListRealtimeAgentStates", {**PAGE, "InstanceId": "ccc-x"})["List"]
    assert [(r["State"], r["StateTime"], r["Duration"]) for r in rows] == [
        ("ACW", T_NOW - 65_000, 65), ("Talking", T_NOW, 0), ("Offline", T_NOW, 0)]
    assert (rows[1]["StateCode"], rows[1]["CounterParty"], rows[1]["CallType"], rows[1]["OutboundScenario"]) == (
        "Monitoring", "agent@ccc-x", "Monitor", True)
    acw = {"InstanceId": "ccc-x", "PageNumber": "1", "PageSize": "10", "StateList": '["acw"]'}
    assert ids(run(state, "ListRealtimeAgentStates", acw)) == ["acw@ccc-x"]
    outbound_only = {**acw, "StateList": "", "OutboundScenario": "True"}
    assert ids(run(state, "ListRealtimeAgentStates", outbound_only)) == ["mon@ccc-x"]
