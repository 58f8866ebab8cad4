"""One server for a whole team: with `CCC_MCP_AGENT_CLAIM`, each OAuth caller acts for their own agent by
default, and the read / calls / supervise scopes decide what they may do. Refusals are structured, audited
and happen before any request to CCC; bad or missing claims are a 401, never a crash."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.fakes import FakeCcc
from tests.transports.conftest import JSON_HEADERS, initialize_body
from tests.transports.test_oauth import ISSUER, AuthorizationServer, authorization_server  # noqa: F401 - a fixture

RESOURCE = "https://mcp.example.test/mcp"
CLAIM = "ccc_agent"
ME = "agent@ccc-test"
OTHER = "wang@ccc-test"
READ_TOOLS = ["list_agents", "list_calls", "get_agent_status"]
CALL_TOOLS = ["unmute_call", "mute_call", "hold_call", "retrieve_call"]


@pytest.fixture
def team_server(http_server: Callable[..., Any], authorization_server: AuthorizationServer) -> Callable[..., Any]:  # noqa: F811
    def start(**extra: Any) -> Any:
        return http_server(jwks_url=authorization_server.url, jwt_issuer=ISSUER, resource_url=RESOURCE,
                           agent_claim=CLAIM, instance_id="ccc-test", **extra)

    return start


def token(server: AuthorizationServer, scope: str, agent: object = ME, **extra: Any) -> str:
    claims = {} if agent is None else {CLAIM: agent}
    return server.token(audience=RESOURCE, scope=scope, extra={**claims, **extra})


async def _tools(running: Any, bearer: str) -> tuple[list[str], dict[str, Any]]:
    async with running.client(bearer) as client:
        tools = (await client.list_tools()).tools
    return [tool.name for tool in tools], {tool.name: tool for tool in tools}


async def test_each_token_lists_only_what_its_scopes_allow(
    team_server: Callable[..., Any], authorization_server: AuthorizationServer  # noqa: F811
) -> None:
    async with team_server() as running:
        agent, _ = await _tools(running, token(authorization_server, "ccc:read ccc:calls"))
        supervisor, _ = await _tools(running, token(authorization_server, "ccc:read ccc:supervise"))
        no_read, _ = await _tools(running, token(authorization_server, "ccc:calls"))
        reader, _ = await _tools(running, token(authorization_server, "ccc:read"))
    assert agent == READ_TOOLS + CALL_TOOLS
    assert supervisor == READ_TOOLS + CALL_TOOLS
    assert no_read == CALL_TOOLS, "a token without ccc:read sees no read tools"
    assert reader == READ_TOOLS


async def test_user_id_defaults_to_the_caller_and_the_schema_says_so(
    team_server: Callable[..., Any], authorization_server: AuthorizationServer, fake_ccc: FakeCcc  # noqa: F811
) -> None:
    bearer = token(authorization_server, "ccc:read ccc:calls")
    async with team_server() as running:
        _, tools = await _tools(running, bearer)
        async with running.client(bearer) as client:
            result = await client.call_tool("unmute_call", {})
    schema = tools["unmute_call"].input_schema
    assert schema["required"] == []
    assert schema["properties"]["user_id"]["description"].endswith("defaults to you (the agent your sign-in names).")
    assert not result.is_error, result.structured_content
    assert fake_ccc.seen[0].query["UserId"] == ME


async def test_an_agent_acts_on_their_own_line_only(
    team_server: Callable[..., Any], authorization_server: AuthorizationServer, fake_ccc: FakeCcc,  # noqa: F811
    tmp_path: Path,
) -> None:
    audit = tmp_path / "audit.jsonl"
    bearer = token(authorization_server, "ccc:read ccc:calls")
    async with team_server(audit_log=str(audit)) as running, running.client(bearer) as client:
        own = await client.call_tool("unmute_call", {"user_id": ME})
        other = await client.call_tool("unmute_call", {"user_id": OTHER})
        look = await client.call_tool("get_agent_status", {"user_id": OTHER})
    assert not own.is_error
    error = other.structured_content["error"]  # type: ignore[index]
    assert (error["code"], error["params"], error["http_status"]) == ("Forbidden.Agent", [OTHER, ME], 403)
    assert not look.is_error, "reading another agent needs only ccc:read"
    assert [seen.action for seen in fake_ccc.seen] == ["UnmuteCall", "PollUserStatus"], "no request for the refusal"
    assert bearer not in audit.read_text(), "the caller's token never reaches the audit log"
    assert bearer not in json.dumps([seen.headers for seen in fake_ccc.seen]), "nor CCC"
    records = [json.loads(line) for line in audit.read_text().splitlines()]
    assert [(r["tool"], r["user"], r["outcome"]) for r in records] == [
        ("unmute_call", ME, "OK"), ("unmute_call", OTHER, "Forbidden.Agent"), ("get_agent_status", OTHER, "OK")
    ]


async def test_a_supervisor_acts_on_any_line(
    team_server: Callable[..., Any], authorization_server: AuthorizationServer, fake_ccc: FakeCcc  # noqa: F811
) -> None:
    bearer = token(authorization_server, "ccc:supervise", agent="boss@ccc-test")
    async with team_server() as running, running.client(bearer) as client:
        mine = await client.call_tool("unmute_call", {"user_id": ME})
        theirs = await client.call_tool("unmute_call", {"user_id": OTHER})
    assert not mine.is_error
    assert not theirs.is_error
    assert [seen.query["UserId"] for seen in fake_ccc.seen] == [ME, OTHER]


@pytest.mark.parametrize(
    ("scope", "tool", "missing"),
    [("ccc:calls", "list_agents", "ccc:read"), ("ccc:read", "unmute_call", "ccc:calls"), ("", "hold_call", "ccc:calls")],
)
async def test_a_tool_called_without_its_scope_is_refused_by_name_and_audited(
    team_server: Callable[..., Any], authorization_server: AuthorizationServer, fake_ccc: FakeCcc,  # noqa: F811
    scope: str, tool: str, missing: str, tmp_path: Path, protocol_mode: str,
) -> None:
    audit = tmp_path / "audit.jsonl"
    async with team_server(audit_log=str(audit)) as running, \
            running.client(token(authorization_server, scope), protocol_mode) as client:
        result = await client.call_tool(tool, {})
    error = result.structured_content["error"]  # type: ignore[index]
    assert (error["code"], error["params"]) == ("Forbidden.Scope", [missing])
    assert missing in error["message"]
    assert fake_ccc.seen == []
    [record] = [json.loads(line) for line in audit.read_text().splitlines()]
    assert (record["tool"], record["caller"], record["outcome"]) == (tool, "user-42@127.0.0.1", "Forbidden.Scope")


async def test_scope_names_are_configurable(
    team_server: Callable[..., Any], authorization_server: AuthorizationServer  # noqa: F811
) -> None:
    async with team_server(read_scope="crm.read", calls_scope="crm.me", supervise_scope="crm.all") as running:
        names, _ = await _tools(running, token(authorization_server, "crm.read"))
    assert names == READ_TOOLS


@pytest.mark.parametrize("claim", [None, "", "   ", 42, ["agent@ccc-test"], "a\nb", "x" * 300], ids=repr)
async def test_a_bad_or_missing_agent_claim_is_a_401_never_a_crash(
    team_server: Callable[..., Any], authorization_server: AuthorizationServer, claim: object,  # noqa: F811
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO, logger="ccc_mcp")
    headers = {**JSON_HEADERS, "authorization": f"Bearer {token(authorization_server, 'ccc:read', agent=claim)}"}
    async with team_server() as running, httpx.AsyncClient() as http:
        response = await http.post(f"{running.base}/mcp", json=initialize_body(), headers=headers)
    assert response.status_code == 401, response.text
    assert "invalid_token" in response.headers["www-authenticate"]
    assert any(f"{CLAIM!r} claim is missing" in record.getMessage() for record in caplog.records)


def test_the_agent_claim_needs_oauth() -> None:
    from pydantic import ValidationError

    from ccc_mcp.config.settings import load_settings

    with pytest.raises(ValidationError, match="CCC_MCP_AGENT_CLAIM"):
        load_settings(agent_claim=CLAIM)


async def test_the_static_token_keeps_every_right(http_server: Callable[..., Any], fake_ccc: FakeCcc) -> None:
    async with http_server(auth_token="static-secret-123") as running, running.client("static-secret-123") as client:
        names = [tool.name for tool in (await client.list_tools()).tools]
        result = await client.call_tool("unmute_call", {"instance_id": "ccc-test", "user_id": OTHER})
    assert names == READ_TOOLS + CALL_TOOLS
    assert not result.is_error


WANG_JOB = "job-of-wang"
WANG_CUSTOMER = f"ch:customer:139->021:1:{WANG_JOB}"


def _my_call() -> httpx.Response:
    """PollUserStatus for the caller's own agent: on job-mine with two channels."""
    return httpx.Response(200, json={
        "Code": "OK", "HttpStatusCode": 200, "Message": "", "RequestId": "REQ-MINE", "Params": [],
        "Data": {"UserContext": {"UserId": ME, "UserState": "TALKING", "JobId": "job-mine"},
                 "CallContext": {"JobId": "job-mine", "ChannelContexts": [
                     {"ChannelId": "ch:customer:mine", "ChannelState": "ANSWERED", "ChannelFlags": "[]"},
                     {"ChannelId": "ch:user:mine", "ChannelState": "ANSWERED", "UserId": ME, "ChannelFlags": "[]"}]}},
    })


@pytest.mark.parametrize(
    ("tool", "arguments"),
    [
        ("hold_call", {"job_id": WANG_JOB, "channel_id": WANG_CUSTOMER}),
        ("unmute_call", {"channel_id": "ch:user:wang"}),
        ("mute_call", {"job_id": WANG_JOB}),
        ("retrieve_call", {"job_id": "job-mine", "channel_id": WANG_CUSTOMER}),
    ],
)
async def test_ids_of_another_agents_call_are_refused_for_an_own_line_caller(
    team_server: Callable[..., Any], authorization_server: AuthorizationServer, fake_ccc: FakeCcc,  # noqa: F811
    tool: str, arguments: dict[str, str],
) -> None:
    """CCC is not documented to tie JobId/ChannelId to UserId: the server checks them against the caller's own
    call (one PollUserStatus) before anything is acted on."""
    fake_ccc.answer(_my_call())
    async with team_server() as running, running.client(token(authorization_server, "ccc:calls")) as client:
        result = await client.call_tool(tool, arguments)
    error = result.structured_content["error"]  # type: ignore[index]
    assert error["code"] == "Forbidden.Agent"
    assert [seen.action for seen in fake_ccc.seen] == ["PollUserStatus"], "nothing was acted on"


async def test_ids_of_the_callers_own_call_go_through(
    team_server: Callable[..., Any], authorization_server: AuthorizationServer, fake_ccc: FakeCcc  # noqa: F811
) -> None:
    fake_ccc.answer(_my_call())
    async with team_server() as running, running.client(token(authorization_server, "ccc:calls")) as client:
        result = await client.call_tool("hold_call", {"job_id": "job-mine", "channel_id": "ch:customer:mine"})
    assert not result.is_error, result.structured_content
    assert [seen.action for seen in fake_ccc.seen] == ["PollUserStatus", "HoldCall"]


async def test_descriptions_and_instructions_name_only_the_callers_tools(
    team_server: Callable[..., Any], authorization_server: AuthorizationServer  # noqa: F811
) -> None:
    async with team_server() as running:
        _, tools = await _tools(running, token(authorization_server, "ccc:calls"))
        async with running.client(token(authorization_server, "ccc:calls"), mode="legacy") as client:
            instructions = client.instructions or ""
    for tool in tools.values():
        assert "list_agents" not in (tool.description or ""), tool.name
        assert "get_agent_status" not in (tool.description or ""), tool.name
    assert "list_agents" not in instructions
    assert "get_agent_status" not in instructions


async def test_without_a_sign_in_an_omitted_user_id_is_refused_not_guessed(fake_ccc: FakeCcc) -> None:
    """Sign-in mode over stdio (no token): "defaults to you" has nobody to mean, so nothing is sent."""
    from mcp import Client

    from ccc_mcp.api.credentials import StaticCredentials
    from ccc_mcp.config.settings import load_settings
    from ccc_mcp.mcpserver.assembly import build_server
    from tests.fakes import FAKE_ENDPOINT, TEST_KEY

    settings = load_settings(endpoint=FAKE_ENDPOINT, jwks_url="http://127.0.0.1:9/jwks", jwt_issuer=ISSUER,
                             resource_url=RESOURCE, agent_claim=CLAIM, instance_id="ccc-test", audit_log="off")
    server = build_server(settings, credentials=StaticCredentials(TEST_KEY), transport=fake_ccc.transport())
    async with Client(server) as client:
        result = await client.call_tool("unmute_call", {})
    assert result.structured_content["error"]["code"] == "Parameter.Blank"  # type: ignore[index]
    assert fake_ccc.seen == []


async def test_the_own_line_check_and_the_lookup_share_one_status_request(
    team_server: Callable[..., Any], authorization_server: AuthorizationServer, fake_ccc: FakeCcc  # noqa: F811
) -> None:
    """job_id given, channel_id omitted: one PollUserStatus both checks the call is the caller's own and finds
    the customer's channel to hold."""
    fake_ccc.answer(_my_call())
    async with team_server() as running, running.client(token(authorization_server, "ccc:calls")) as client:
        result = await client.call_tool("hold_call", {"job_id": "job-mine"})
    assert not result.is_error, result.structured_content
    assert [seen.action for seen in fake_ccc.seen] == ["PollUserStatus", "HoldCall"]
    assert fake_ccc.seen[1].query["ChannelId"] == "ch:customer:mine"
