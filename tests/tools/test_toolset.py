"""The toolset beyond unmute_call, through a real in-memory MCP client against the fake CCC: what each tool
sends, how omitted ids are resolved (one PollUserStatus, never a guess), and what comes back."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import httpx
import jsonschema
import pytest
from mcp_types import CallToolResult

from ccc_mcp.config.settings import load_settings
from ccc_mcp.mcpserver.assembly import build_server
from ccc_mcp.tools.registry import TOOLS, ToolSelectionError, narrow
from tests.answer_rules import assert_clean
from tests.fakes import FakeCcc, ccc_error

AGENT = "wang@ccc-test"
JOB = "job-3"
CUSTOMER = f"ch:customer:139->021:1:{JOB}"
MINE = f"ch:user:139->8006:1:{JOB}"


def channel(channel_id: str, user_id: str = "", flags: str | None = "[]", state: str = "ANSWERED") -> dict[str, Any]:
    wire: dict[str, Any] = {"ChannelId": channel_id, "ChannelState": state, "UserId": user_id, "JobId": JOB,
                            "Originator": "139", "Destination": "021"}
    if flags is not None:
        wire["ChannelFlags"] = flags
    return wire


def envelope(data: dict[str, Any], request_id: str = "REQ-1") -> httpx.Response:
    return httpx.Response(200, json={"Code": "OK", "HttpStatusCode": 200, "Message": "", "RequestId": request_id,
                                     "Params": [], "Data": data})


def status(*channels: dict[str, Any], job: str | None = JOB, state: str = "TALKING") -> httpx.Response:
    """A PollUserStatus answer for the agent, on `job` with `channels` (no call when job is None)."""
    user = {"UserId": AGENT, "UserState": state, "InstanceId": "ccc-test", "Heartbeat": 1}
    data: dict[str, Any] = {"UserContext": user}
    if job is not None:
        user["JobId"] = job
        data["CallContext"] = {"JobId": job, "CallType": "INBOUND", "InstanceId": "ccc-test",
                               "ChannelContexts": list(channels)}
    return envelope(data, "REQ-POLL")


def acted(request_id: str = "REQ-ACT") -> httpx.Response:
    return envelope({"CallContext": {"JobId": JOB, "ChannelContexts": [channel(CUSTOMER, flags=None)]},
                     "UserContext": {"UserId": AGENT, "UserState": "TALKING"}}, request_id)


_UPSTREAM: list[FakeCcc] = []  # the test's fake CCC, for `call` to check what each tool sent


@pytest.fixture(autouse=True)
def _upstream(fake_ccc: FakeCcc) -> None:
    _UPSTREAM[:] = [fake_ccc]


async def call(make_client: Callable[..., Any], tool: str, arguments: dict[str, Any], **settings: Any) -> Any:
    """Call `tool`; check the answer conforms to its outputSchema and carries the same JSON as text."""
    async with make_client("auto", **settings) as client:
        [published] = [t for t in (await client.list_tools()).tools if t.name == tool]
        result: CallToolResult = await client.call_tool(tool, arguments)
    assert result.structured_content is not None
    jsonschema.validate(result.structured_content, published.output_schema)
    assert json.loads(result.content[0].text) == result.structured_content  # type: ignore[union-attr]
    assert result.is_error == (not result.structured_content["ok"])
    assert_clean(result.structured_content)
    [spec] = [spec for spec in TOOLS if spec.name == tool]
    assert {seen.action for seen in _UPSTREAM[0].seen} <= set(spec.actions), "every action sent is declared"
    return result.structured_content


ARGS = {"instance_id": "ccc-test", "user_id": AGENT}


# --- resolution: omitted ids are looked up, once ------------------------------------------------------------


async def test_hold_without_ids_holds_the_one_other_party(make_client: Callable[..., Any], fake_ccc: FakeCcc) -> None:
    fake_ccc.answer(status(channel(CUSTOMER), channel(MINE, AGENT)), acted())
    out = await call(make_client, "hold_call", {**ARGS, "music": "jazz"})
    assert out["ok"] is True
    assert [seen.action for seen in fake_ccc.seen] == ["PollUserStatus", "HoldCall"]
    assert fake_ccc.seen[1].query == {"InstanceId": "ccc-test", "UserId": AGENT, "DeviceId": "ccc-mcp-server",
                                      "JobId": JOB, "ChannelId": CUSTOMER, "Music": "jazz"}
    assert out["request_id"] == "REQ-ACT"
    assert out["resolved"] == (
        f"job_id omitted: the agent's current call {JOB}; channel_id omitted: {CUSTOMER}, the other party's live "
        "channel, the only one on the call (PollUserStatus)."
    )
    assert "flags" not in out["call_context"]["channel_contexts"][0]  # HoldCall reports no flags: not "none"
    assert all(seen.signature_valid for seen in fake_ccc.seen)


async def test_given_ids_are_sent_without_a_lookup(make_client: Callable[..., Any], fake_ccc: FakeCcc) -> None:
    fake_ccc.answer(acted())
    out = await call(make_client, "hold_call", {**ARGS, "job_id": JOB, "channel_id": CUSTOMER})
    assert [seen.action for seen in fake_ccc.seen] == ["HoldCall"]
    assert "Music" not in fake_ccc.seen[0].query
    assert "resolved" not in out


@pytest.mark.parametrize("tool", ["hold_call", "retrieve_call", "mute_call"])
async def test_no_call_is_a_structured_error_after_one_lookup(
    make_client: Callable[..., Any], fake_ccc: FakeCcc, tool: str
) -> None:
    fake_ccc.answer(status(job=None, state="READY"))
    out = await call(make_client, tool, ARGS)
    assert out["error"]["code"] == "Resolve.NoCall"
    assert out["error"]["params"] == [AGENT, "READY"]
    assert out["request_id"] == "REQ-POLL"
    assert "get_agent_status" in out["error"]["hint"]
    assert [seen.action for seen in fake_ccc.seen] == ["PollUserStatus"], "nothing is acted on"


async def test_several_candidates_are_listed_never_guessed(make_client: Callable[..., Any], fake_ccc: FakeCcc) -> None:
    second = f"ch:customer:138->021:2:{JOB}"
    fake_ccc.answer(status(channel(CUSTOMER), channel(second), channel(MINE, AGENT)))
    out = await call(make_client, "hold_call", ARGS)
    error = out["error"]
    assert error["code"] == "Resolve.Ambiguous"
    assert error["params"] == [CUSTOMER, second]
    assert CUSTOMER in error["message"]
    assert second in error["message"]
    assert MINE not in error["message"]
    assert error["retryable"] is False
    assert len(fake_ccc.seen) == 1


async def test_retrieve_picks_the_held_channel(make_client: Callable[..., Any], fake_ccc: FakeCcc) -> None:
    fake_ccc.answer(status(channel(CUSTOMER, flags="[HOLD]"), channel(MINE, AGENT, flags="[MUTED]")), acted())
    out = await call(make_client, "retrieve_call", ARGS)
    assert out["ok"] is True
    assert fake_ccc.seen[1].action == "RetrieveCall"
    assert fake_ccc.seen[1].query["ChannelId"] == CUSTOMER


async def test_retrieve_with_nothing_held_lists_the_channels(
    make_client: Callable[..., Any], fake_ccc: FakeCcc
) -> None:
    fake_ccc.answer(status(channel(CUSTOMER), channel(MINE, AGENT)))
    out = await call(make_client, "retrieve_call", ARGS)
    assert out["error"]["code"] == "Resolve.NoChannel"
    assert CUSTOMER in out["error"]["message"]
    assert MINE in out["error"]["message"]
    assert len(fake_ccc.seen) == 1


async def test_mute_resolves_only_the_call(make_client: Callable[..., Any], fake_ccc: FakeCcc) -> None:
    fake_ccc.answer(status(channel(CUSTOMER), channel(MINE, AGENT)), acted())
    out = await call(make_client, "mute_call", ARGS)
    assert fake_ccc.seen[1].action == "MuteCall"
    assert fake_ccc.seen[1].query["JobId"] == JOB
    assert "ChannelId" not in fake_ccc.seen[1].query, "CCC mutes the agent's own channel"
    assert out["resolved"] == f"job_id omitted: the agent's current call {JOB} (PollUserStatus)."


async def test_a_job_that_is_not_the_current_call_is_refused(
    make_client: Callable[..., Any], fake_ccc: FakeCcc
) -> None:
    fake_ccc.answer(status(channel(CUSTOMER), channel(MINE, AGENT)))
    out = await call(make_client, "hold_call", {**ARGS, "job_id": "job-old"})
    assert out["error"]["code"] == "Resolve.NoCall"
    assert "job-old" in out["error"]["message"]
    assert JOB in out["error"]["message"]
    assert len(fake_ccc.seen) == 1


async def test_a_failed_lookup_is_answered_as_ccc_said(make_client: Callable[..., Any], fake_ccc: FakeCcc) -> None:
    fake_ccc.answer(ccc_error(404, "NotExists.UserId", "The user nobody does not exist.", ["nobody"]))
    out = await call(make_client, "hold_call", ARGS)
    assert out["error"]["code"] == "NotExists.UserId"
    assert out["request_id"] == "REQ-NotExists.UserId"
    assert "list_agents" in out["error"]["hint"]


# --- get_agent_status -------------------------------------------------------------------------------------------


async def test_status_shows_the_live_call_with_parsed_flags(make_client: Callable[..., Any], fake_ccc: FakeCcc) -> None:
    fake_ccc.answer(status(channel(CUSTOMER, flags="[HOLD]"), channel(MINE, AGENT, flags="HOLD,MUTED")))
    out = await call(make_client, "get_agent_status", ARGS)
    assert out["ok"] is True
    assert fake_ccc.seen[0].action == "PollUserStatus"
    assert fake_ccc.seen[0].query == {"InstanceId": "ccc-test", "UserId": AGENT, "DeviceId": "ccc-mcp-server"}
    assert out["call_context"] == {
        "job_id": JOB,
        "call_type": "INBOUND",
        "channel_contexts": [
            {"channel_id": CUSTOMER, "party": "external", "number": "139", "channel_state": "ANSWERED",
             "flags": ["HOLD"]},
            {"channel_id": MINE, "party": "agent", "user_id": AGENT, "subject": True, "channel_state": "ANSWERED",
             "flags": ["HOLD", "MUTED"]},
        ],
    }
    assert out["user_context"] == {"user_id": AGENT, "user_state": "TALKING", "job_id": JOB}


@pytest.mark.parametrize(
    ("answer", "state"),
    [
        (status(job=None, state="READY"), "READY"),
        (envelope({"UserContext": {"UserId": AGENT, "UserState": "READY"},
                   "CallContext": {"JobId": "", "ChannelContexts": []}}), "READY"),
        (envelope({"UserContext": {"UserId": AGENT, "UserState": "WORKING", "JobId": ""},
                   "CallContext": {"JobId": "", "CallType": "", "ChannelContexts": None}}), "WORKING"),
    ],
    ids=["call-context-absent", "call-context-empty", "after-call-work"],
)
async def test_status_without_a_call_says_so_plainly(
    make_client: Callable[..., Any], fake_ccc: FakeCcc, answer: httpx.Response, state: str
) -> None:
    """No call: no call_context at all (an agent in after-call work has finished theirs)."""
    fake_ccc.answer(answer)
    out = await call(make_client, "get_agent_status", ARGS)
    assert out == {"ok": True, "request_id": out["request_id"], "user_context": {"user_id": AGENT, "user_state": state}}


# --- list_agents ----------------------------------------------------------------------------------------------


def agents_page(rows: list[dict[str, Any]], total: int, page: int = 1, size: int = 20) -> httpx.Response:
    body = {"Code": "OK", "HttpStatusCode": 200, "Message": "", "RequestId": "REQ-LIST",
            "Data": {"PageNumber": page, "PageSize": size, "TotalCount": total, "List": rows}}
    return httpx.Response(200, json=body)


WANG = {"AgentId": AGENT, "AgentName": "Wang Fang", "Extension": "8006", "State": "Talking", "StateCode": "",
        "Duration": 42, "CallType": "Inbound", "SkillGroupIdList": ["sg@ccc-test"], "SkillGroupNameList": ["Sales"],
        "WorkMode": "ON_SITE", "StateTime": 1}


async def test_list_agents_maps_words_both_ways_and_signs_its_form_body(
    make_client: Callable[..., Any], fake_ccc: FakeCcc
) -> None:
    fake_ccc.answer(agents_page([WANG, {**WANG, "AgentId": "b@ccc-test", "State": "ACW"},
                                 {**WANG, "AgentId": "c@ccc-test", "State": "Levitating"}], total=3))
    out = await call(make_client, "list_agents",
                     {"instance_id": "ccc-test", "query": "Wang", "states": ["TALKING", "WORKING"]})
    [seen] = fake_ccc.seen
    assert seen.action == "ListRealtimeAgentStates"
    assert seen.query == {"InstanceId": "ccc-test", "PageNumber": "1", "PageSize": "20", "Query": "Wang"}
    assert seen.form == {"StateList": '["Talking", "ACW"]'}
    assert seen.headers["content-type"] == "application/x-www-form-urlencoded"
    assert "content-type" in seen.headers["authorization"], "the content type is a signed header"
    assert seen.signature_valid, "the body's SHA-256 is what was signed"
    first = out["agents"][0]
    assert first == {"user_id": AGENT, "name": "Wang Fang", "extension": "8006", "state": "TALKING",
                     "seconds_in_state": 42, "call_type": "INBOUND", "work_mode": "ON_SITE",
                     "skill_group_ids": ["sg@ccc-test"], "skill_group_names": ["Sales"]}
    assert [agent["state"] for agent in out["agents"]] == ["TALKING", "WORKING", "LEVITATING"]
    assert (out["total"], out["page"], out["page_size"], "next_page" in out) == (3, 1, 20, False)


async def test_list_agents_pages(make_client: Callable[..., Any], fake_ccc: FakeCcc) -> None:
    fake_ccc.answer(agents_page([WANG] * 5, total=12, page=2, size=5), agents_page([WANG] * 2, total=12, page=3, size=5))
    middle = await call(make_client, "list_agents", {"instance_id": "ccc-test", "page": 2, "page_size": 5})
    last = await call(make_client, "list_agents", {"instance_id": "ccc-test", "page": 3, "page_size": 5})
    assert (middle["next_page"], "next_page" in last) == (3, False)
    assert fake_ccc.seen[0].query["PageNumber"] == "2"
    assert fake_ccc.seen[0].query["PageSize"] == "5"
    assert fake_ccc.seen[0].form == {}, "no filter: no body"
    assert "content-type" not in fake_ccc.seen[0].headers.get("authorization", "")


@pytest.mark.parametrize(
    ("arguments", "argument"),
    [
        ({"states": ["HOLDING"]}, "states.0"),
        ({"states": []}, "states"),
        ({"states": "TALKING"}, "states"),
        ({"page": 0}, "page"),
        ({"page": 101}, "page"),
        ({"page_size": "20"}, "page_size"),
        ({"page": True}, "page"),
        ({"query": "a\nb"}, "query"),
    ],
)
async def test_list_agents_refuses_bad_filters_without_a_request(
    make_client: Callable[..., Any], fake_ccc: FakeCcc, arguments: dict[str, Any], argument: str
) -> None:
    out = await call(make_client, "list_agents", {"instance_id": "ccc-test", **arguments})
    assert out["error"]["code"] == "Parameter.Invalid"
    assert out["error"]["params"] == [argument]
    assert fake_ccc.seen == []


# --- selection ------------------------------------------------------------------------------------------------


async def _names(make_client: Callable[..., Any], **settings: Any) -> list[str]:
    async with make_client("auto", **settings) as client:
        return [tool.name for tool in (await client.list_tools()).tools]


async def test_read_only_publishes_the_read_tools(make_client: Callable[..., Any]) -> None:
    assert await _names(make_client, read_only=True) == ["list_agents", "list_calls", "get_agent_status"]


async def test_tools_setting_publishes_exactly_those(make_client: Callable[..., Any]) -> None:
    assert await _names(make_client, tools="unmute_call") == ["unmute_call"]
    assert await _names(make_client, tools="hold_call, get_agent_status") == ["get_agent_status", "hold_call"]


async def test_an_unpublished_tool_cannot_be_called(make_client: Callable[..., Any], fake_ccc: FakeCcc) -> None:
    async with make_client("auto", tools="list_agents") as client:
        result = await client.call_tool("unmute_call", ARGS)
    assert result.is_error
    assert fake_ccc.seen == []


@pytest.mark.parametrize(
    ("settings", "words"),
    [
        ({"tools": "unmute_call,unmute"}, ["unknown tools: unmute", "list_agents, list_calls, get_agent_status"]),
        ({"tools": "unmute_call", "read_only": True}, ["leaves no tool", "list_agents"]),
    ],
)
def test_a_bad_selection_stops_start_up_with_the_valid_names(settings: dict[str, Any], words: list[str]) -> None:
    with pytest.raises(ToolSelectionError) as caught:
        build_server(load_settings(**settings))
    for word in words:
        assert word in str(caught.value)


# --- a lost answer: the retry is refused because the first attempt was applied -------------------------------

GIVEN = {**ARGS, "job_id": JOB, "channel_id": CUSTOMER}
REFUSED = ccc_error(400, "InvalidOperation.ChannelState", "Channel stats (ANSWERED) ...", ["ANSWERED", "HOLD"])


async def test_a_refused_retry_of_an_applied_retrieve_is_confirmed_as_done(
    make_client: Callable[..., Any], fake_ccc: FakeCcc
) -> None:
    fake_ccc.answer(httpx.ReadError("connection dropped after the action"), REFUSED,
                    status(channel(CUSTOMER, flags="[]"), channel(MINE, AGENT)))
    out = await call(make_client, "retrieve_call", GIVEN)
    assert [seen.action for seen in fake_ccc.seen] == ["RetrieveCall", "RetrieveCall", "PollUserStatus"]
    assert out["ok"] is True
    assert out["request_id"] == "REQ-POLL"
    assert f"The answer to the first attempt on {CUSTOMER} was lost" in out["resolved"]
    assert out["call_context"]["channel_contexts"][0]["flags"] == []


async def test_a_refused_retry_stands_when_the_state_says_it_was_not_applied(
    make_client: Callable[..., Any], fake_ccc: FakeCcc
) -> None:
    fake_ccc.answer(httpx.ReadError("dropped"), REFUSED, status(channel(CUSTOMER, flags="[HOLD]"), channel(MINE, AGENT)))
    out = await call(make_client, "retrieve_call", GIVEN)
    assert out["error"]["code"] == "InvalidOperation.ChannelState"


async def test_a_refused_repeat_stands_and_says_nothing_needs_doing(
    make_client: Callable[..., Any], fake_ccc: FakeCcc
) -> None:
    """Retrieving a party who is not on hold: CCC refuses, and a status read tells the model why it need not
    try again (the action was never applied, so this is no success)."""
    fake_ccc.answer(REFUSED, status(channel(CUSTOMER, flags="[]"), channel(MINE, AGENT)))
    out = await call(make_client, "retrieve_call", GIVEN)
    assert out["ok"] is False
    assert out["error"]["code"] == "InvalidOperation.ChannelState"
    assert out["error"]["hint"] == f"Channel {CUSTOMER} is already off hold: nothing needs doing."
    assert out["error"]["retryable"] is False
    assert [seen.action for seen in fake_ccc.seen] == ["RetrieveCall", "PollUserStatus"]


async def test_a_refused_hold_of_a_held_party_says_nothing_needs_doing(
    make_client: Callable[..., Any], fake_ccc: FakeCcc
) -> None:
    fake_ccc.answer(REFUSED, status(channel(CUSTOMER, flags="[HOLD]"), channel(MINE, AGENT)))
    out = await call(make_client, "hold_call", GIVEN)
    assert out["error"]["hint"] == f"Channel {CUSTOMER} is already on hold: nothing needs doing."


async def test_a_refusal_for_another_reason_keeps_its_hint(make_client: Callable[..., Any], fake_ccc: FakeCcc) -> None:
    fake_ccc.answer(REFUSED, status(channel(CUSTOMER, flags="[HOLD]"), channel(MINE, AGENT)))
    out = await call(make_client, "retrieve_call", GIVEN)
    assert out["error"]["code"] == "InvalidOperation.ChannelState"
    assert "nothing needs doing" not in out["error"]["hint"]


@pytest.mark.parametrize(
    ("headers", "visible"),
    [
        (None, {"unmute_call", "list_agents"}),
        ({"x-mcp-tools": "unmute_call"}, {"unmute_call"}),
        ({"x-mcp-tools": "unmute_call, hold_call"}, {"unmute_call"}),  # asked for more than published: never widened
        ({"x-mcp-readonly": "true"}, {"list_agents"}),
        ({"x-mcp-tools": "hold_call", "x-mcp-readonly": "yes"}, set()),
    ],
)
def test_request_headers_only_ever_narrow(headers: dict[str, str] | None, visible: set[str]) -> None:
    assert narrow(frozenset({"unmute_call", "list_agents"}), headers) == visible


async def test_a_refusal_after_a_throttled_attempt_is_not_second_guessed(
    make_client: Callable[..., Any], fake_ccc: FakeCcc
) -> None:
    """A throttled attempt was never applied, so a refusal on the retry is CCC's real answer."""
    from tests.fakes import gateway_error

    fake_ccc.answer(gateway_error(429, "Throttling.User"), REFUSED, status(channel(CUSTOMER, flags="[]")))
    out = await call(make_client, "retrieve_call", GIVEN)
    assert out["ok"] is False
    assert out["error"]["code"] == "InvalidOperation.ChannelState"
    assert "nothing needs doing" in out["error"]["hint"]
    assert [seen.action for seen in fake_ccc.seen] == ["RetrieveCall", "RetrieveCall", "PollUserStatus"]


async def test_null_lists_from_ccc_read_as_empty(make_client: Callable[..., Any], fake_ccc: FakeCcc) -> None:
    fake_ccc.answer(envelope({"CallContext": {"JobId": JOB, "ChannelContexts": None},
                              "UserContext": {"UserId": AGENT, "UserState": "TALKING", "SignedSkillGroupIdList": None,
                                              "ParallelJobList": None}}))
    out = await call(make_client, "hold_call", GIVEN)
    assert out["ok"] is True
    assert out["call_context"]["channel_contexts"] == []
