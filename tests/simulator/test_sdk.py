"""The official SDK (`alibabacloud-ccc20200701`), unmodified, against the simulator.

This is the proof that the simulator speaks the real wire: the SDK signs with ACS3-HMAC-SHA256 (signing
`accept`, `user-agent`, ... too), sends everything in the query, and parses the answers into its models.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from alibabacloud_ccc20200701 import models  # type: ignore[import-untyped]
from alibabacloud_tea_openapi.exceptions import (  # type: ignore[import-untyped]
    ClientException,
    ServerException,
)

from ccc_mcp.simulator import FLOOR_INSTANCE_ID, Simulator, default_scenario, simulator_in_thread, with_floor

AGENT_CHANNEL = "ch:user:13900000001->8001:1700000000000:job-demo-1"

SdkFactory = Callable[..., Any]


def agent_channel_flags(sim: Simulator) -> list[str]:
    return sim.state.instances["ccc-demo"].calls["job-demo-1"].channel(AGENT_CHANNEL).flags  # type: ignore[union-attr]


def test_unmute_call_succeeds_out_of_the_box(sim: Simulator, sdk_client: SdkFactory) -> None:
    response = sdk_client(sim).unmute_call(
        models.UnmuteCallRequest(instance_id="ccc-demo", user_id="agent@ccc-demo", device_id="ccc-mcp-server")
    )
    body = response.body
    assert response.status_code == 200
    assert (body.code, body.http_status_code, body.message, body.params) == ("OK", 200, "", [])
    assert len(body.request_id) == 36
    assert body.request_id == body.request_id.upper()
    call = body.data.call_context
    assert (call.instance_id, call.job_id, call.call_type) == ("ccc-demo", "job-demo-1", "INBOUND")
    agent_leg = next(ch for ch in call.channel_contexts if ch.user_id == "agent@ccc-demo")
    assert agent_leg.channel_id == AGENT_CHANNEL
    assert (agent_leg.channel_state, agent_leg.channel_flags) == ("ANSWERED", "[]")  # Set.toString() style
    user = body.data.user_context
    assert (user.user_id, user.user_state, user.job_id, user.instance_id) == (
        "agent@ccc-demo", "TALKING", "job-demo-1", "ccc-demo")
    assert user.signed_skill_group_id_list == ["skillgroup@ccc-demo"]
    assert agent_channel_flags(sim) == []


def test_mute_call_then_unmute_call_round_trip(sim: Simulator, sdk_client: SdkFactory) -> None:
    client = sdk_client(sim)
    client.unmute_call(models.UnmuteCallRequest(instance_id="ccc-demo", user_id="agent@ccc-demo"))
    muted = client.mute_call(models.MuteCallRequest(instance_id="ccc-demo", job_id="job-demo-1",
                                                    user_id="agent@ccc-demo", channel_id=AGENT_CHANNEL))
    leg = next(ch for ch in muted.body.data.call_context.channel_contexts if ch.channel_id == AGENT_CHANNEL)
    assert leg.channel_flags == "[MUTED]"
    assert agent_channel_flags(sim) == ["MUTED"]
    client.unmute_call(models.UnmuteCallRequest(instance_id="ccc-demo", user_id="agent@ccc-demo",
                                                job_id="job-demo-1"))
    assert agent_channel_flags(sim) == []


def test_user_id_omitted_uses_the_agent_of_the_access_key(sim: Simulator, sdk_client: SdkFactory) -> None:
    response = sdk_client(sim).unmute_call(models.UnmuteCallRequest(instance_id="ccc-demo"))
    assert response.body.data.user_context.user_id == "agent@ccc-demo"


def test_get_user_returns_the_agent(sim: Simulator, sdk_client: SdkFactory) -> None:
    data = sdk_client(sim).get_user(models.GetUserRequest(instance_id="ccc-demo", user_id="idle@ccc-demo")).body.data
    assert (data.user_id, data.extension, data.instance_id, data.work_mode) == (
        "idle@ccc-demo", "8002", "ccc-demo", "ON_SITE")


T_STATE = "The operation is not allowed. User state (%s) does not meet expectations (%s)."
T_CHANNEL = "The operation is not allowed. Channel stats (%s) does not meet expectations (%s)."

# Every error code of the API page (plus NotExists.UserId), reached in the default scenario.
PAGE_ERRORS = [
    pytest.param({"instance_id": " "}, 400, "Parameter.Blank", ["InstanceId"],
                 "The parameter InstanceId may not be null or blank.", id="Parameter.Blank"),
    pytest.param({"user_id": "ringing@ccc-demo"}, 400, "InvalidOperation.ChannelState", ["EARLY", "ANSWERED"],
                 T_CHANNEL % ("EARLY", "ANSWERED"), id="InvalidOperation.ChannelState"),
    pytest.param({"user_id": "idle@ccc-demo"}, 400, "InvalidOperation.UserState", ["READY", "TALKING"],
                 T_STATE % ("READY", "TALKING"), id="InvalidOperation.UserState"),
    pytest.param({"channel_id": "ch-missing"}, 404, "NotExists.ChannelId", ["ch-missing", "job-demo-1"],
                 "The specified channel ch-missing does not exist in call job-demo-1.", id="NotExists.ChannelId"),
    pytest.param({"instance_id": "ccc-missing"}, 404, "NotExists.InstanceId", ["ccc-missing"],
                 "The specified instance ccc-missing does not exist.", id="NotExists.InstanceId"),
    pytest.param({"job_id": "job-missing"}, 404, "NotExists.JobId", ["job-missing"],
                 "The call job-missing does not exist.", id="NotExists.JobId"),
    pytest.param({"job_id": "job-demo-2"}, 404, "NotExists.JobId", ["job-demo-2"],
                 "The call job-demo-2 does not exist.", id="NotExists.JobId-not-the-agents"),
    pytest.param({"user_id": "nobody@ccc-demo"}, 404, "NotExists.UserId", ["nobody@ccc-demo"],
                 "The specified user nobody@ccc-demo does not exist.", id="NotExists.UserId"),
    pytest.param({"user_id": "cti-fail@ccc-demo"}, 500, "InternalService.CTI",
                 ["The CTI gateway did not answer in time (simulated)."],
                 "An internal CTI service error occurred. The CTI gateway did not answer in time (simulated).",
                 id="InternalService.CTI"),
]


@pytest.mark.parametrize(("overrides", "status", "code", "params", "message"), PAGE_ERRORS)
def test_every_error_code_of_the_page_is_reachable(
    sim: Simulator, sdk_client: SdkFactory, overrides: dict[str, str], status: int, code: str,
    params: list[str], message: str,
) -> None:
    request = {"instance_id": "ccc-demo", "user_id": "agent@ccc-demo", "device_id": "d", **overrides}
    expected_type = ServerException if status >= 500 else ClientException
    with pytest.raises(expected_type) as excinfo:
        sdk_client(sim).unmute_call(models.UnmuteCallRequest(**request))
    error = excinfo.value
    assert (error.code, error.status_code) == (code, status)
    body = {k: v for k, v in error.data.items() if k != "statusCode"}
    assert list(body) == ["Code", "HttpStatusCode", "Message", "RequestId", "Params"]
    assert (body["Code"], body["HttpStatusCode"], body["Message"], body["Params"]) == (code, status, message, params)
    assert error.request_id == body["RequestId"]


def test_mute_call_requires_job_id(sim: Simulator, sdk_client: SdkFactory) -> None:
    with pytest.raises(ClientException) as excinfo:
        sdk_client(sim).mute_call(models.MuteCallRequest(instance_id="ccc-demo", user_id="agent@ccc-demo"))
    assert (excinfo.value.code, excinfo.value.data["Params"]) == ("Parameter.Blank", ["JobId"])


def gateway_error(call: Callable[[], Any]) -> tuple[str, int, dict[str, Any]]:
    with pytest.raises(ClientException) as excinfo:
        call()
    body = {k: v for k, v in excinfo.value.data.items() if k != "statusCode"}
    assert list(body) == ["RequestId", "HostId", "Code", "Message", "Recommend"]
    return excinfo.value.code, excinfo.value.status_code, body


def unmute(client: Any) -> Callable[[], Any]:
    return lambda: client.unmute_call(models.UnmuteCallRequest(instance_id="ccc-demo", user_id="agent@ccc-demo"))


def test_a_wrong_secret_is_signature_does_not_match(sim: Simulator, sdk_client: SdkFactory) -> None:
    code, status, body = gateway_error(unmute(sdk_client(sim, access_key_secret="not-the-secret")))
    assert (code, status) == ("SignatureDoesNotMatch", 400)
    assert body["Message"] == "Specified signature does not match our calculation."


def test_an_unknown_access_key_is_not_found(sim: Simulator, sdk_client: SdkFactory) -> None:
    code, status, _ = gateway_error(unmute(sdk_client(sim, access_key_id="nobody-s-key")))
    assert (code, status) == ("InvalidAccessKeyId.NotFound", 404)


def test_a_disabled_access_key_is_forbidden(sim: Simulator, sdk_client: SdkFactory) -> None:
    client = sdk_client(sim, "sim-disabled-access-key-id", "sim-disabled-access-key-secret")
    code, status, _ = gateway_error(unmute(client))
    assert (code, status) == ("Forbidden.AccessKeyDisabled", 403)


def test_sts_credentials_are_accepted_when_configured(sim: Simulator, sdk_client: SdkFactory) -> None:
    client = sdk_client(sim, "sim-sts-access-key-id", "sim-sts-access-key-secret", "sim-security-token")
    assert unmute(client)().body.code == "OK"


def test_a_wrong_sts_token_is_refused(sim: Simulator, sdk_client: SdkFactory) -> None:
    client = sdk_client(sim, "sim-sts-access-key-id", "sim-sts-access-key-secret", "stale-token")
    assert gateway_error(unmute(client))[:2] == ("InvalidSecurityToken.Expired", 400)


def test_an_sts_key_without_its_token_is_refused(sim: Simulator, sdk_client: SdkFactory) -> None:
    client = sdk_client(sim, "sim-sts-access-key-id", "sim-sts-access-key-secret")
    assert gateway_error(unmute(client))[:2] == ("MissingSecurityToken", 400)


def test_throttling_with_retry_after_is_what_the_sdk_expects(sim: Simulator, sdk_client: SdkFactory) -> None:
    from alibabacloud_tea_openapi.exceptions import ThrottlingException

    sim.faults.add({"kind": "throttle", "status": 429, "retry_after": 2, "times": 1})
    with pytest.raises(ThrottlingException) as excinfo:
        unmute(sdk_client(sim))()
    assert (excinfo.value.code, excinfo.value.status_code, excinfo.value.retry_after) == ("Throttling.User", 429, 2)
    assert unmute(sdk_client(sim))().body.code == "OK"  # the rule was for one request only


# -- the actions next to UnmuteCall, through the official SDK ----------------------------------------

WANG = "wang@ccc-demo"
WANG_JOB = "job-demo-3"
WANG_CUSTOMER = "ch:customer:13900000006->02100000000:1700000300000:job-demo-3"
WANG_CHANNEL = "ch:user:13900000006->8006:1700000300000:job-demo-3"


def flags_by_channel(body_data: Any) -> dict[str, str]:
    return {ch.channel_id: ch.channel_flags for ch in body_data.call_context.channel_contexts}


def test_find_poll_hold_retrieve_mute_unmute_wang_with_no_setup(sim: Simulator, sdk_client: SdkFactory) -> None:
    """The walk-through of docs/simulator.md: every step as the MCP tools will take it."""
    client = sdk_client(sim)
    found = client.list_realtime_agent_states(models.ListRealtimeAgentStatesRequest(
        instance_id="ccc-demo", page_number=1, page_size=10, query="Wang"))
    assert [(a.agent_id, a.agent_name, a.extension, a.state) for a in found.body.data.list] == [
        (WANG, "Wang Fang", "8006", "Talking")]

    polled = client.poll_user_status(models.PollUserStatusRequest(instance_id="ccc-demo", user_id=WANG))
    data = polled.body.data
    assert (data.user_context.job_id, data.call_context.job_id) == (WANG_JOB, WANG_JOB)
    customer = next(ch for ch in data.call_context.channel_contexts if not ch.user_id)
    assert (customer.channel_id, customer.channel_flags) == (WANG_CUSTOMER, "[]")

    held = client.hold_call(models.HoldCallRequest(instance_id="ccc-demo", user_id=WANG, job_id=WANG_JOB,
                                                   channel_id=customer.channel_id, device_id="d", music="default"))
    assert (held.body.code, held.body.data.user_context.user_state) == ("OK", "TALKING")
    assert held.body.data.user_context.reserved == 1_700_000_300_000
    again = client.poll_user_status(models.PollUserStatusRequest(instance_id="ccc-demo", user_id=WANG)).body.data
    assert flags_by_channel(again) == {WANG_CUSTOMER: "[HOLD]", WANG_CHANNEL: "[]"}

    client.retrieve_call(models.RetrieveCallRequest(instance_id="ccc-demo", user_id=WANG, job_id=WANG_JOB,
                                                    channel_id=WANG_CUSTOMER))
    muted = client.mute_call(models.MuteCallRequest(instance_id="ccc-demo", user_id=WANG, job_id=WANG_JOB))
    assert flags_by_channel(muted.body.data) == {WANG_CUSTOMER: "[]", WANG_CHANNEL: "[MUTED]"}
    unmuted = client.unmute_call(models.UnmuteCallRequest(instance_id="ccc-demo", user_id=WANG, job_id=WANG_JOB))
    assert flags_by_channel(unmuted.body.data) == {WANG_CUSTOMER: "[]", WANG_CHANNEL: "[]"}


def test_retrieve_call_of_a_channel_not_on_hold(sim: Simulator, sdk_client: SdkFactory) -> None:
    with pytest.raises(ClientException) as excinfo:
        sdk_client(sim).retrieve_call(models.RetrieveCallRequest(
            instance_id="ccc-demo", user_id=WANG, job_id=WANG_JOB, channel_id=WANG_CUSTOMER))
    error = excinfo.value
    assert (error.code, error.status_code, error.data["Params"]) == (
        "InvalidOperation.ChannelState", 400, ["ANSWERED", "HOLD"])
    assert error.data["Message"] == T_CHANNEL % ("ANSWERED", "HOLD")


def test_hold_call_without_a_channel_id(sim: Simulator, sdk_client: SdkFactory) -> None:
    with pytest.raises(ClientException) as excinfo:
        sdk_client(sim).hold_call(models.HoldCallRequest(instance_id="ccc-demo", user_id=WANG, job_id=WANG_JOB))
    assert (excinfo.value.code, excinfo.value.data["Params"]) == ("Parameter.Blank", ["ChannelId"])


def test_list_realtime_agent_states_with_lists_in_the_form_body(sim: Simulator, sdk_client: SdkFactory) -> None:
    response = sdk_client(sim).list_realtime_agent_states(models.ListRealtimeAgentStatesRequest(
        instance_id="ccc-demo", page_number=1, page_size=10,
        agent_id_list=f'["{WANG}", "idle@ccc-demo", "break@ccc-demo"]', state_list='["Talking", "Break"]',
        outbound_scenario=False, media_type="AUDIO", work_mode_list='["ON_SITE"]', call_type_list='["Inbound"]',
    ))
    body = response.body
    assert (body.code, body.http_status_code) == ("OK", 200)
    data = body.data
    assert (data.page_number, data.page_size, data.total_count) == (1, 10, 1)
    row = data.list[0]
    assert (row.agent_id, row.state, row.call_type, row.skill_group_name_list, row.outbound_scenario) == (
        WANG, "Talking", "Inbound", ["Demo Hotline"], False)
    assert row.state_time > 0
    assert row.duration >= 0


def test_list_realtime_agent_states_error_through_the_sdk(sim: Simulator, sdk_client: SdkFactory) -> None:
    with pytest.raises(ClientException) as excinfo:
        sdk_client(sim).list_realtime_agent_states(models.ListRealtimeAgentStatesRequest(
            instance_id="ccc-demo", page_number=1, page_size=10, agent_id_list="not json"))
    assert (excinfo.value.code, excinfo.value.status_code, excinfo.value.data["Params"]) == (
        "Parameter.Invalid", 400, ["AgentIdList"])


def test_list_users_through_the_sdk(sim: Simulator, sdk_client: SdkFactory) -> None:
    body = sdk_client(sim).list_users(models.ListUsersRequest(
        instance_id="ccc-demo", page_number=1, page_size=10, search_pattern="wang",
        skill_group_id="skillgroup@ccc-demo")).body
    assert (body.code, body.params, body.data.total_count) == ("OK", [], 1)
    user = body.data.list[0]
    assert (user.user_id, user.login_name, user.display_name, user.display_id, user.email, user.role_id,
            user.role_name, user.primary, user.personal_outbound_number_list) == (
        WANG, "wang", "Wang Fang", "1006", "wang@example.com", "Agent@ccc-demo", "Agent", False, [])
    level = user.skill_level_list[0]
    assert (level.skill_group_id, level.skill_group_name, level.skill_level) == (
        "skillgroup@ccc-demo", "Demo Hotline", 1)


def test_list_users_page_size_above_the_maximum(sim: Simulator, sdk_client: SdkFactory) -> None:
    with pytest.raises(ClientException) as excinfo:
        sdk_client(sim).list_users(models.ListUsersRequest(instance_id="ccc-demo", page_number=1, page_size=101))
    assert (excinfo.value.code, excinfo.value.data["Message"]) == (
        "Parameter.Maximum", "The parameter PageSize must be less than or equal to 100.")


def test_get_user_returns_a_profile(sim: Simulator, sdk_client: SdkFactory) -> None:
    data = sdk_client(sim).get_user(models.GetUserRequest(instance_id="ccc-demo", extension="8006")).body.data
    assert (data.user_id, data.login_name, data.display_name, data.display_id, data.email, data.role_id,
            data.role_name, data.device_state, data.instance_id) == (
        WANG, "wang", "Wang Fang", "1006", "wang@example.com", "Agent@ccc-demo", "Agent", "UNREGISTERED", "ccc-demo")


def test_poll_user_status_of_an_idle_agent(sim: Simulator, sdk_client: SdkFactory) -> None:
    data = sdk_client(sim).poll_user_status(
        models.PollUserStatusRequest(instance_id="ccc-demo", user_id="idle@ccc-demo", device_id="d")).body.data
    assert (data.call_context, data.user_context.job_id, data.user_context.user_state) == (None, None, "READY")
    assert (data.context_id, data.chat_contexts, data.user_context.parallel_job_list) == (0, [], [])


def test_poll_user_status_of_an_unknown_user(sim: Simulator, sdk_client: SdkFactory) -> None:
    with pytest.raises(ClientException) as excinfo:
        sdk_client(sim).poll_user_status(models.PollUserStatusRequest(instance_id="ccc-demo", user_id="nobody@ccc-demo"))
    assert (excinfo.value.code, excinfo.value.status_code, excinfo.value.data["Message"]) == (
        "NotExists.UserId", 404, "The user nobody@ccc-demo does not exist in instance ccc-demo.")


def test_the_sdk_reads_a_page_of_a_generated_floor(sdk_client: SdkFactory) -> None:
    """A floor's rows carry what the default cast's never do (StateCode, CounterParty, BreakCode, several
    skill groups); the SDK's models take them as they are."""
    with simulator_in_thread(scenario=with_floor(default_scenario(), 200)) as floor:
        client = sdk_client(floor)
        page = client.list_realtime_agent_states(models.ListRealtimeAgentStatesRequest(
            instance_id=FLOOR_INSTANCE_ID, page_number=2, page_size=100)).body.data
        instance = floor.state.instances[FLOOR_INSTANCE_ID]
        assert (page.page_number, page.page_size, page.total_count) == (2, 100, 200)
        assert [row.agent_id for row in page.list] == list(instance.agents)[100:]
        consulting = next(row for row in page.list if row.state_code == "Consulting")
        assert (consulting.state, consulting.call_type) == ("Talking", "Inbound")
        assert consulting.counter_party == instance.agents[consulting.agent_id].counter_party
        on_break = next(row for row in page.list if row.state == "Break")
        assert on_break.break_code in ("Warm-up", "Lunch", "Training", "RingingTimeout")
        vip = next(row for row in page.list if len(row.skill_group_id_list) == 2)
        assert vip.skill_group_name_list[1] == "VIP"
        polled = client.poll_user_status(models.PollUserStatusRequest(
            instance_id=FLOOR_INSTANCE_ID, user_id=consulting.agent_id)).body.data
        assert len(polled.call_context.channel_contexts) == 3
