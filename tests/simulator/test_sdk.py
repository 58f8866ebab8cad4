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

from ccc_mcp.simulator import Simulator

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
    assert (agent_leg.channel_state, agent_leg.channel_flags) == ("ANSWERED", "")
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
    assert leg.channel_flags == "MUTED"
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
