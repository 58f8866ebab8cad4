"""`unmute_call` through a real MCP client (in memory), in both protocol eras, against the fake CCC."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from typing import Any

import jsonschema
import pytest
from mcp import Client
from mcp_types import CallToolResult

from ccc_mcp.api.signing import SigningKey
from ccc_mcp.config.settings import load_settings
from ccc_mcp.mcpserver.assembly import build_server
from tests.answer_rules import assert_clean
from tests.fakes import CANARY_SECRET, FAKE_ENDPOINT, SAMPLE_RESPONSE, FakeCcc, ccc_error, gateway_error

ARGS = {"instance_id": "ccc-test", "user_id": "agent@ccc-test"}


async def call(make_client: Callable[..., Any], mode: str, arguments: Any, **settings: Any) -> CallToolResult:
    async with make_client(mode, **settings) as client:
        tools = await client.list_tools()
        result: CallToolResult = await client.call_tool("unmute_call", arguments)
        _assert_conforms(result, published(tools.tools, "unmute_call").output_schema)
        return result


def published(tools: list[Any], name: str) -> Any:
    """The tool called `name` in a tools/list answer."""
    [tool] = [tool for tool in tools if tool.name == name]
    return tool


def _assert_conforms(result: CallToolResult, output_schema: dict[str, Any] | None) -> None:
    """Every result, success or error: structured content valid against outputSchema, same JSON as text."""
    assert output_schema is not None
    assert result.structured_content is not None
    jsonschema.validate(result.structured_content, output_schema)
    [text] = result.content
    assert json.loads(text.text) == result.structured_content  # type: ignore[union-attr]
    assert result.is_error == (not result.structured_content["ok"])
    assert_clean(result.structured_content)


# --- success ---------------------------------------------------------------------------------------------


async def test_sample_response_is_shown_as_the_call_picture(
    make_client: Callable[..., Any], fake_ccc: FakeCcc, protocol_mode: str
) -> None:
    """The API page's sample answer, as a model reads it: each channel names its party (the agent the answer
    is about marked as the subject), flags parsed, nothing null, nothing the call already says repeated."""
    result = await call(make_client, protocol_mode, ARGS)
    assert result.structured_content == {
        "ok": True,
        "request_id": "EEEE671A-3E24-4A04-81E6-6C4F5B39DF75",
        "call_context": {
            "job_id": "job-6538214103685****",
            "call_type": "OUTBOUND",
            "channel_contexts": [
                {
                    "channel_id": "ch:user:1390501****->8032****:1609138902226:job-6538214103685****",
                    "party": "agent",
                    "user_id": "agent@ccc-test",
                    "subject": True,
                    "channel_state": "CREATED",
                    "flags": ["MONITORING"],
                    "timestamp": 1609138903315,
                }
            ],
        },
        "user_context": {
            "user_id": "agent@ccc-test",
            "user_state": "TALKING",
            "job_id": "job-6538214103685****",
            "extension": "8032****",
        },
    }
    assert [seen.query for seen in fake_ccc.seen] == [
        {"InstanceId": "ccc-test", "UserId": "agent@ccc-test", "DeviceId": "ccc-mcp-server"}
    ]


async def test_optional_ids_are_sent_as_given(make_client: Callable[..., Any], fake_ccc: FakeCcc) -> None:
    args = {**ARGS, "job_id": "job-9", "channel_id": "ch:user:1->2:3:job-9"}
    await call(make_client, "auto", args)
    assert fake_ccc.seen[0].query == {
        "InstanceId": "ccc-test",
        "UserId": "agent@ccc-test",
        "DeviceId": "ccc-mcp-server",
        "JobId": "job-9",
        "ChannelId": "ch:user:1->2:3:job-9",
    }


async def test_unknown_states_flags_and_fields_do_not_break_the_answer(
    make_client: Callable[..., Any], fake_ccc: FakeCcc
) -> None:
    """Values CCC adds later pass through; fields it adds later are read past (the picture shows what it
    documents, and nothing the output schema does not describe)."""
    body = json.loads(json.dumps(SAMPLE_RESPONSE))
    body["Data"]["UserContext"]["UserState"] = "SOME_FUTURE_STATE"
    body["Data"]["CallContext"]["ChannelContexts"][0]["ChannelFlags"] = "[MUTED, WHISPERING]"
    body["Data"]["CallContext"]["ChannelContexts"][0]["BrandNewField"] = "new"
    import httpx

    fake_ccc.answer(httpx.Response(200, json=body))
    result = await call(make_client, "auto", ARGS)
    out = result.structured_content
    assert out is not None
    assert out["user_context"]["user_state"] == "SOME_FUTURE_STATE"
    [channel] = out["call_context"]["channel_contexts"]
    assert channel["flags"] == ["MUTED", "WHISPERING"]
    assert "BrandNewField" not in json.dumps(out)


# --- errors from CCC --------------------------------------------------------------------------------------

PAGE_ERRORS = [
    (400, "Parameter.Blank", "The parameter UserId may not be null or blank.", ["UserId"], False),
    (
        400,
        "InvalidOperation.ChannelState",
        "The operation is not allowed. Channel stats (EARLY) does not meet expectations (ANSWERED).",
        ["EARLY", "ANSWERED"],
        False,
    ),
    (
        400,
        "InvalidOperation.UserState",
        "The operation is not allowed. User state (READY) does not meet expectations (TALKING).",
        ["READY", "TALKING"],
        False,
    ),
    (404, "NotExists.ChannelId", "The specified channel ch-x does not exist in call job-1.", ["ch-x", "job-1"], False),
    (404, "NotExists.InstanceId", "The specified instance ccc-x does not exist.", ["ccc-x"], False),
    (404, "NotExists.JobId", "The call job-x does not exist.", ["job-x"], False),
    (500, "InternalService.CTI", "An internal CTI service error occurred. timeout", ["timeout"], True),
]


@pytest.mark.parametrize(
    ("status", "code", "message", "params", "retryable"), PAGE_ERRORS, ids=[e[1] for e in PAGE_ERRORS]
)
async def test_each_api_page_error_is_returned_structured(
    make_client: Callable[..., Any],
    fake_ccc: FakeCcc,
    protocol_mode: str,
    status: int,
    code: str,
    message: str,
    params: list[str],
    retryable: bool,
) -> None:
    fake_ccc.answer(ccc_error(status, code, message, params))
    result = await call(make_client, protocol_mode, ARGS, max_attempts=1)
    assert result.is_error
    out = result.structured_content
    assert out is not None
    assert out["ok"] is False
    assert out["request_id"] == f"REQ-{code}"
    assert "call_context" not in out
    error = out["error"]
    assert error["code"] == code
    assert error["http_status"] == status
    assert error["message"] == message
    assert error["params"] == params
    assert error["retryable"] is retryable
    assert error["hint"]


async def test_a_cti_failure_says_when_to_try_again_and_the_human_way_round(
    make_client: Callable[..., Any], fake_ccc: FakeCcc
) -> None:
    """The server already retried; the model learns it may try once more, then hand over to the agent."""
    cti = ccc_error(500, "InternalService.CTI", "An internal CTI service error occurred. timeout", ["timeout"])
    fake_ccc.answer(cti, cti, cti)
    result = await call(make_client, "auto", ARGS)
    error = result.structured_content["error"]  # type: ignore[index]
    assert error["retryable"] is True
    assert "try once more in a few seconds" in error["hint"]
    assert "the agent can do it from their own workbench or phone" in error["hint"]


async def test_user_state_hint_names_the_state(make_client: Callable[..., Any], fake_ccc: FakeCcc) -> None:
    fake_ccc.answer(ccc_error(400, "InvalidOperation.UserState", "...", ["READY", "TALKING"]))
    result = await call(make_client, "auto", ARGS)
    hint = result.structured_content["error"]["hint"]  # type: ignore[index]
    assert "READY" in hint
    assert "not on a call" in hint


@pytest.mark.parametrize(
    ("code", "status", "retryable"),
    [
        ("SignatureDoesNotMatch", 400, False),
        ("InvalidAccessKeyId.NotFound", 404, False),
        ("Forbidden.RAM", 403, False),
        ("Throttling.User", 400, True),
        ("ServiceUnavailable", 503, True),
        ("SomethingNew.Unheard", 409, False),
        ("SomethingNew.Broken", 502, True),
    ],
)
async def test_gateway_and_unknown_codes_map_sensibly(
    make_client: Callable[..., Any], fake_ccc: FakeCcc, code: str, status: int, retryable: bool
) -> None:
    fake_ccc.answer(gateway_error(status, code))
    result = await call(make_client, "auto", ARGS, max_attempts=1)
    error = result.structured_content["error"]  # type: ignore[index]
    assert (error["code"], error["http_status"], error["retryable"]) == (code, status, retryable)
    assert error["hint"]


async def test_transient_failure_is_retried_then_succeeds(make_client: Callable[..., Any], fake_ccc: FakeCcc) -> None:
    fake_ccc.answer(gateway_error(503, "ServiceUnavailable"))
    result = await call(make_client, "auto", ARGS)
    assert result.structured_content["ok"] is True  # type: ignore[index]
    assert len(fake_ccc.seen) == 2
    assert fake_ccc.seen[0].headers["x-acs-signature-nonce"] != fake_ccc.seen[1].headers["x-acs-signature-nonce"]
    assert all(seen.signature_valid for seen in fake_ccc.seen)


# --- bad input: a structured error naming the argument, and no request -------------------------------------

BAD_INPUTS = [
    ({"instance_id": "ccc-test"}, "Parameter.Blank", "user_id"),
    ({"instance_id": "ccc-test", "user_id": None}, "Parameter.Blank", "user_id"),
    ({"instance_id": "ccc-test", "user_id": ""}, "Parameter.Blank", "user_id"),
    ({"instance_id": "ccc-test", "user_id": "   \t "}, "Parameter.Blank", "user_id"),
    ({"user_id": "agent@ccc-test"}, "Parameter.Blank", "instance_id"),
    ({"instance_id": "  ", "user_id": "agent@ccc-test"}, "Parameter.Blank", "instance_id"),
    ({"instance_id": "ccc-test", "user_id": "agent\n@ccc-test"}, "Parameter.Invalid", "user_id"),
    ({"instance_id": "ccc-test", "user_id": "agent\r@ccc-test"}, "Parameter.Invalid", "user_id"),
    ({"instance_id": "ccc-test", "user_id": "agent\x00"}, "Parameter.Invalid", "user_id"),
    ({"instance_id": "ccc-test", "user_id": "a\u2028b"}, "Parameter.Invalid", "user_id"),
    ({**ARGS, "job_id": "j" * 257}, "Parameter.Invalid", "job_id"),
    ({**ARGS, "channel_id": 12}, "Parameter.Invalid", "channel_id"),
    ({"instance_id": 7, "user_id": "agent@ccc-test"}, "Parameter.Invalid", "instance_id"),
    ({"instance_id": "ccc-test", "user_id": ["agent"]}, "Parameter.Invalid", "user_id"),
    ({"instance_id": "ccc-test", "user_id": {"id": 1}}, "Parameter.Invalid", "user_id"),
    ({"instance_id": "ccc-test", "user_id": True}, "Parameter.Invalid", "user_id"),
    ({**ARGS, "device_id": "dev-1"}, "Parameter.Invalid", "device_id"),  # no longer an argument: CCC ignores it
    ({**ARGS, "userId": "x"}, "Parameter.Invalid", "userId"),
    ({**ARGS, "": "x"}, "Parameter.Invalid", ""),
    ({"instance_id": "ccc-test", "user_id": "agent\ud800"}, "Parameter.Invalid", "user_id"),  # lone surrogate
    ({"instance_id": "ccc-test", "user_id": "a\u200bb"}, "Parameter.Invalid", "user_id"),  # zero-width space
]


@pytest.mark.parametrize(("arguments", "code", "argument"), BAD_INPUTS)
async def test_bad_input_is_refused_before_any_request(
    make_client: Callable[..., Any],
    fake_ccc: FakeCcc,
    protocol_mode: str,
    arguments: dict[str, Any],
    code: str,
    argument: str,
) -> None:
    result = await call(make_client, protocol_mode, arguments)
    assert result.is_error
    out = result.structured_content
    assert out is not None
    assert "request_id" not in out
    assert out["error"]["code"] == code
    assert out["error"]["params"] == [argument]
    assert argument in out["error"]["message"]
    assert "{" not in out["error"]["message"], "no unfilled template"
    assert out["error"]["retryable"] is False
    assert "pydantic" not in result.content[0].text  # type: ignore[union-attr]
    assert fake_ccc.seen == [], "no request is sent for bad input"


async def test_surrounding_whitespace_is_trimmed(make_client: Callable[..., Any], fake_ccc: FakeCcc) -> None:
    await call(make_client, "auto", {"instance_id": " ccc-test\n", "user_id": "agent@ccc-test "})
    assert fake_ccc.seen[0].query["UserId"] == "agent@ccc-test"
    assert fake_ccc.seen[0].query["InstanceId"] == "ccc-test"


async def test_control_character_is_named_by_code_point(make_client: Callable[..., Any]) -> None:
    result = await call(make_client, "auto", {"instance_id": "ccc-test", "user_id": "agent\x1b[0m"})
    assert result.structured_content is not None
    assert "control character (U+001B)" in result.structured_content["error"]["message"]


async def test_unknown_argument_name_is_quoted_and_shortened(make_client: Callable[..., Any]) -> None:
    result = await call(make_client, "auto", {**ARGS, "x" * 500: 1})
    assert result.structured_content is not None
    message = result.structured_content["error"]["message"]
    assert message.startswith('Unknown argument "xxxx')
    assert len(message) < 150


# --- a bug of ours still answers in shape ---------------------------------------------------------------


class BrokenCredentials:
    """A credentials source with a bug: it raises what nothing expects."""

    source = "broken"

    async def get_key(self) -> SigningKey:
        raise RuntimeError(f"boom {CANARY_SECRET}")


async def test_unexpected_exception_is_a_structured_error_without_its_text(
    fake_ccc: FakeCcc, caplog: pytest.LogCaptureFixture, protocol_mode: str
) -> None:
    caplog.set_level(logging.DEBUG)
    settings = load_settings(endpoint=FAKE_ENDPOINT)
    server = build_server(settings, credentials=BrokenCredentials(), transport=fake_ccc.transport())
    async with Client(server, mode=protocol_mode) as client:
        result = await client.call_tool("unmute_call", ARGS)
        _assert_conforms(result, published((await client.list_tools()).tools, "unmute_call").output_schema)
    out = result.structured_content
    assert out is not None
    assert out["error"]["code"] == "Server.Internal"
    assert out["error"]["retryable"] is False
    assert "RuntimeError" in out["error"]["message"]
    assert CANARY_SECRET not in result.model_dump_json() + caplog.text
    assert any("outcome=Server.Internal" in r.getMessage() for r in caplog.records)
    assert "Traceback" not in caplog.text


# --- configuration: default instance, allow-list, device id ------------------------------------------------


async def test_default_instance_is_used_when_omitted(make_client: Callable[..., Any], fake_ccc: FakeCcc) -> None:
    result = await call(make_client, "auto", {"user_id": "agent@ccc-test"}, instance_id="ccc-default")
    assert result.structured_content["ok"] is True  # type: ignore[index]
    assert fake_ccc.seen[0].query["InstanceId"] == "ccc-default"


async def test_explicit_instance_beats_the_default(make_client: Callable[..., Any], fake_ccc: FakeCcc) -> None:
    await call(make_client, "auto", ARGS, instance_id="ccc-default")
    assert fake_ccc.seen[0].query["InstanceId"] == "ccc-test"


async def test_instance_outside_the_allow_list_is_refused_before_any_request(
    make_client: Callable[..., Any], fake_ccc: FakeCcc, protocol_mode: str
) -> None:
    result = await call(
        make_client,
        protocol_mode,
        {"instance_id": "ccc-other", "user_id": "a@b"},
        allowed_instances="ccc-test,ccc-prod",
    )
    error = result.structured_content["error"]  # type: ignore[index]
    assert error["code"] == "Forbidden.Instance"
    assert error["params"] == ["ccc-other"]
    assert "ccc-prod" in error["message"]
    assert fake_ccc.seen == []


async def test_allow_list_admits_listed_instances(make_client: Callable[..., Any], fake_ccc: FakeCcc) -> None:
    result = await call(make_client, "auto", ARGS, allowed_instances="ccc-test,ccc-prod")
    assert result.structured_content["ok"] is True  # type: ignore[index]


async def test_default_instance_is_subject_to_the_allow_list(
    make_client: Callable[..., Any], fake_ccc: FakeCcc
) -> None:
    result = await call(make_client, "auto", {"user_id": "a@b"}, instance_id="ccc-x", allowed_instances="ccc-y")
    assert result.structured_content["error"]["code"] == "Forbidden.Instance"  # type: ignore[index]
    assert fake_ccc.seen == []


async def test_configured_device_id_is_sent(make_client: Callable[..., Any], fake_ccc: FakeCcc) -> None:
    await call(make_client, "auto", ARGS, device_id="softphone-7")
    assert fake_ccc.seen[0].query["DeviceId"] == "softphone-7"


async def test_instance_id_is_required_in_the_schema_only_without_a_default(
    make_client: Callable[..., Any],
) -> None:
    async with make_client("auto") as client:
        without = published((await client.list_tools()).tools, "unmute_call").input_schema
    async with make_client("auto", instance_id="ccc-default") as client:
        with_default = published((await client.list_tools()).tools, "unmute_call").input_schema
    assert without["required"] == ["instance_id", "user_id"]
    assert with_default["required"] == ["user_id"]


# --- secrets ------------------------------------------------------------------------------------------------


async def test_canary_secret_never_appears_in_results_or_logs(
    make_client: Callable[..., Any], fake_ccc: FakeCcc, caplog: pytest.LogCaptureFixture
) -> None:
    import httpx

    caplog.set_level(logging.DEBUG)
    fake_ccc.answer(
        gateway_error(400, "SignatureDoesNotMatch"),
        httpx.ConnectError("refused"),
        httpx.ConnectError("refused"),
        httpx.ConnectError("refused"),
        httpx.Response(502, content=b"<html>oops</html>"),
    )
    texts: list[str] = []
    async with make_client("auto", max_attempts=3) as client:
        for arguments in (ARGS, ARGS, {**ARGS, "job_id": 5}, ARGS, ARGS):
            result = await client.call_tool("unmute_call", arguments)
            texts.append(result.model_dump_json())
    everything = "\n".join(texts) + "\n".join(r.getMessage() for r in caplog.records)
    everything += "\n".join(str(r.args) for r in caplog.records)
    assert caplog.records, "the calls were logged"
    assert CANARY_SECRET not in everything
    assert "Signature=" not in everything
    assert all(seen.headers["authorization"] for seen in fake_ccc.seen)


async def test_one_log_line_per_call(
    make_client: Callable[..., Any], fake_ccc: FakeCcc, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="ccc_mcp")
    await call(make_client, "auto", ARGS)
    lines = [r.getMessage() for r in caplog.records if r.name == "ccc_mcp.calls"]
    assert len(lines) == 1
    assert "tool=unmute_call" in lines[0]
    assert "actions=UnmuteCall" in lines[0]
    assert "instance=ccc-test" in lines[0]
    assert "outcome=OK" in lines[0]
    assert "request_id=EEEE671A-3E24-4A04-81E6-6C4F5B39DF75" in lines[0]
    assert "attempts=1" in lines[0]
    assert "latency_ms=" in lines[0]
