"""The new actions on the wire: envelopes, codes, statuses, message templates, and the form body that
ListRealtimeAgentStates sends (its hash and its content-type are both signed)."""

from __future__ import annotations

import httpx

from ccc_mcp.simulator import Simulator

from .cast import (
    AGENT,
    IDLE,
    INSTANCE,
    SKILL_GROUP,
    T_CHANNEL,
    WANG,
    WANG_CHANNEL,
    WANG_CUSTOMER,
    WANG_JOB,
)
from .helpers import FORM, call, call_form, form_body, signed_form

PAGE = {"InstanceId": INSTANCE, "PageNumber": "1", "PageSize": "10"}
HOLD_WANG = {"InstanceId": INSTANCE, "UserId": WANG, "JobId": WANG_JOB, "ChannelId": WANG_CUSTOMER,
             "DeviceId": "ignored", "Music": "default"}
CCC_KEYS = ["Code", "HttpStatusCode", "Message", "RequestId", "Params", "Data"]
ERROR_KEYS = ["Code", "HttpStatusCode", "Message", "RequestId", "Params"]


async def test_realtime_states_success_body_has_no_params(asim: Simulator, client: httpx.AsyncClient) -> None:
    response = await call_form(client, asim, "ListRealtimeAgentStates", PAGE, {})
    body = response.json()
    assert response.status_code == 200
    assert list(body) == ["Code", "HttpStatusCode", "Message", "RequestId", "Data"]
    assert list(body["Data"]) == ["PageNumber", "PageSize", "TotalCount", "List"]
    assert (body["Data"]["TotalCount"], len(body["Data"]["List"])) == (6, 6)


async def test_realtime_states_read_agent_and_state_lists_from_the_form_body(
    asim: Simulator, client: httpx.AsyncClient
) -> None:
    fields = {"AgentIdList": f'["{WANG}", "{IDLE}"]', "StateList": '["Talking"]'}
    response = await call_form(client, asim, "ListRealtimeAgentStates", PAGE, fields)
    assert [row["AgentId"] for row in response.json()["Data"]["List"]] == [WANG]


async def test_realtime_states_errors_keep_params(asim: Simulator, client: httpx.AsyncClient) -> None:
    response = await call_form(client, asim, "ListRealtimeAgentStates", {**PAGE, "PageSize": "101"}, {})
    body = response.json()
    assert (response.status_code, list(body)) == (400, ERROR_KEYS)
    assert (body["Code"], body["Params"], body["Message"]) == (
        "Parameter.Maximum", ["PageSize", "100"], "The parameter PageSize must be less than or equal to 100.")


async def test_malformed_json_in_the_body_is_parameter_invalid(asim: Simulator, client: httpx.AsyncClient) -> None:
    response = await call_form(client, asim, "ListRealtimeAgentStates", PAGE, {"StateList": '["Talking"'})
    body = response.json()
    assert (response.status_code, body["Code"], body["Params"], body["Message"]) == (
        400, "Parameter.Invalid", ["StateList"], "The parameter StateList is invalid.")


async def test_a_tampered_form_body_is_signature_does_not_match(asim: Simulator, client: httpx.AsyncClient) -> None:
    signed_body = form_body({"AgentIdList": f'["{WANG}"]'})
    url, headers = signed_form(asim, "ListRealtimeAgentStates", PAGE, signed_body)
    tampered = form_body({"AgentIdList": f'["{AGENT}"]'})
    response = await client.post(url, headers=headers, content=tampered)
    assert (response.status_code, response.json()["Code"]) == (400, "SignatureDoesNotMatch")
    assert (await client.post(url, headers=headers, content=signed_body)).status_code == 200


async def test_the_hash_covers_the_raw_bytes_not_the_decoded_fields(asim: Simulator, client: httpx.AsyncClient) -> None:
    """`%20` and `+` decode to the same field, but they are different bytes: only the signed ones pass."""
    signed_body = b"Query=Wang+Fang"
    url, headers = signed_form(asim, "ListRealtimeAgentStates", PAGE, signed_body)
    response = await client.post(url, headers=headers, content=b"Query=Wang%20Fang")
    assert response.json()["Code"] == "SignatureDoesNotMatch"
    url, headers = signed_form(asim, "ListRealtimeAgentStates", PAGE, signed_body)
    ok = await client.post(url, headers=headers, content=signed_body)
    assert [row["AgentId"] for row in ok.json()["Data"]["List"]] == [WANG]


async def test_a_signed_content_type_is_verified(asim: Simulator, client: httpx.AsyncClient) -> None:
    body = form_body({"AgentIdList": f'["{WANG}"]'})
    url, headers = signed_form(asim, "ListRealtimeAgentStates", PAGE, body)
    assert "content-type" in headers["authorization"].split("SignedHeaders=")[1].split(",")[0].split(";")
    headers["content-type"] = f"{FORM}; charset=UTF-8"
    response = await client.post(url, headers=headers, content=body)
    assert (response.status_code, response.json()["Code"]) == (400, "SignatureDoesNotMatch")


async def test_a_form_body_with_an_upper_case_content_type_is_read(asim: Simulator, client: httpx.AsyncClient) -> None:
    body = form_body({"AgentIdList": f'["{WANG}"]'})
    url, headers = signed_form(asim, "ListRealtimeAgentStates", PAGE, body, content_type="Application/X-WWW-Form-Urlencoded")
    response = await client.post(url, headers=headers, content=body)
    assert [row["AgentId"] for row in response.json()["Data"]["List"]] == [WANG]


async def test_hold_call_answers_the_union_tree(asim: Simulator, client: httpx.AsyncClient) -> None:
    response = await call(client, asim, "HoldCall", HOLD_WANG)
    body = response.json()
    assert (response.status_code, list(body), body["Params"]) == (200, CCC_KEYS, [])
    channels = body["Data"]["CallContext"]["ChannelContexts"]
    assert [(c["Index"], c["ChannelId"], c["ChannelState"], c["ChannelFlags"]) for c in channels] == [
        (1, WANG_CUSTOMER, "ANSWERED", "[HOLD]"), (2, WANG_CHANNEL, "ANSWERED", "[]")]
    user = body["Data"]["UserContext"]
    assert (user["UserState"], user["JobId"], user["Reserved"]) == ("TALKING", WANG_JOB, 1_700_000_300_000)


async def test_retrieve_call_takes_the_hold_off(asim: Simulator, client: httpx.AsyncClient) -> None:
    retrieve = {k: v for k, v in HOLD_WANG.items() if k != "Music"}
    refused = await call(client, asim, "RetrieveCall", retrieve)
    body = refused.json()
    assert (refused.status_code, list(body)) == (400, ERROR_KEYS)
    assert (body["Code"], body["Params"], body["Message"]) == (
        "InvalidOperation.ChannelState", ["ANSWERED", "HOLD"], T_CHANNEL % ("ANSWERED", "HOLD"))
    await call(client, asim, "HoldCall", HOLD_WANG)
    retrieved = (await call(client, asim, "RetrieveCall", retrieve)).json()
    assert retrieved["Data"]["CallContext"]["ChannelContexts"][0]["ChannelFlags"] == "[]"


async def test_hold_and_retrieve_require_job_then_channel(asim: Simulator, client: httpx.AsyncClient) -> None:
    for action in ("HoldCall", "RetrieveCall"):
        no_ids = await call(client, asim, action, {"InstanceId": INSTANCE, "UserId": WANG})
        assert (no_ids.status_code, no_ids.json()["Params"]) == (400, ["JobId"])
        no_channel = (await call(client, asim, action, {"InstanceId": INSTANCE, "JobId": WANG_JOB})).json()
        assert (no_channel["Code"], no_channel["Params"], no_channel["Message"]) == (
            "Parameter.Blank", ["ChannelId"], "The parameter ChannelId may not be null or blank.")


async def test_reserved_is_in_mute_but_not_in_unmute(asim: Simulator, client: httpx.AsyncClient) -> None:
    wang = {"InstanceId": INSTANCE, "UserId": WANG, "JobId": WANG_JOB}
    muted = (await call(client, asim, "MuteCall", wang)).json()["Data"]
    unmuted = (await call(client, asim, "UnmuteCall", wang)).json()["Data"]
    assert muted["UserContext"]["Reserved"] == 1_700_000_300_000
    assert "Reserved" not in unmuted["UserContext"]
    assert muted["CallContext"]["ChannelContexts"][1]["ChannelFlags"] == "[MUTED]"
    assert unmuted["CallContext"]["ChannelContexts"][1]["ChannelFlags"] == "[]"


async def test_poll_user_status_on_the_wire(asim: Simulator, client: httpx.AsyncClient) -> None:
    on_call = (await call(client, asim, "PollUserStatus", {"InstanceId": INSTANCE, "UserId": WANG})).json()
    assert (list(on_call), on_call["Params"]) == (CCC_KEYS, [])
    assert list(on_call["Data"]) == ["UserContext", "CallContext", "ContextId", "ChatContexts"]
    idle = (await call(client, asim, "PollUserStatus", {"InstanceId": INSTANCE, "UserId": IDLE})).json()["Data"]
    assert list(idle) == ["UserContext", "ContextId", "ChatContexts"]
    unknown = await call(client, asim, "PollUserStatus", {"InstanceId": INSTANCE, "UserId": "nobody@ccc-demo"})
    body = unknown.json()
    assert (unknown.status_code, body["Code"], body["Params"], body["Message"]) == (
        404, "NotExists.UserId", ["nobody@ccc-demo", INSTANCE],
        "The user nobody@ccc-demo does not exist in instance ccc-demo.")


async def test_get_user_on_the_wire_is_a_profile(asim: Simulator, client: httpx.AsyncClient) -> None:
    body = (await call(client, asim, "GetUser", {"InstanceId": INSTANCE, "Extension": "8006"})).json()
    assert list(body) == CCC_KEYS
    assert list(body["Data"]) == [
        "UserId", "LoginName", "DisplayName", "DisplayId", "Email", "Mobile", "Extension", "WorkMode", "RoleId",
        "RoleName", "DeviceId", "DeviceState", "InstanceId"]
    assert (body["Data"]["UserId"], body["Data"]["DisplayName"]) == (WANG, "Wang Fang")


async def test_list_users_on_the_wire(asim: Simulator, client: httpx.AsyncClient) -> None:
    body = (await call(client, asim, "ListUsers", {**PAGE, "SearchPattern": "wang", "SkillGroupId": SKILL_GROUP})).json()
    assert (list(body), body["Params"]) == (CCC_KEYS, [])
    assert [row["UserId"] for row in body["Data"]["List"]] == [WANG]
    missing = await call(client, asim, "ListUsers", {"InstanceId": INSTANCE, "PageSize": "10"})
    assert (missing.status_code, missing.json()["Code"], missing.json()["Message"]) == (
        400, "Parameter.Null", "The parameter PageNumber may not be null.")
