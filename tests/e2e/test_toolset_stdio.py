"""The loop a model drives, end to end: the real `ccc-mcp serve --simulator` over stdio, the MCP SDK's
client, and nothing set up but the default scenario. "Find Wang, hold her customer, take them off hold,
mute and unmute her" works with user_id alone, and every documented precondition answers its error."""

from __future__ import annotations

import subprocess
import sys
from typing import Any

import pytest
from mcp import Client
from mcp.client.stdio import StdioServerParameters

from tests.environment import environment_without

pytestmark = pytest.mark.e2e

WANG = "wang@ccc-demo"


def _environment() -> dict[str, str]:
    environment = environment_without("ALIBABA_CLOUD_", "CCC_")
    environment.update({"ALIBABA_CLOUD_ECS_METADATA_DISABLED": "true", "CCC_MCP_AUDIT_LOG": "off"})
    return environment


def _params(*flags: str) -> StdioServerParameters:
    return StdioServerParameters(
        command=sys.executable, args=["-m", "ccc_mcp", "serve", "--simulator", *flags], env=_environment()
    )


async def _call(client: Client, tool: str, **arguments: Any) -> dict[str, Any]:
    result = await client.call_tool(tool, arguments)
    out: dict[str, Any] = result.structured_content or {}
    assert result.is_error == (not out.get("ok")), out
    return out


def _channels(status: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """The call's channels by their party: the agent's user id, or "customer" for the outside party."""
    return {ch["user_id"] if ch["party"] == "agent" else "customer": ch for ch in status["call_context"]["channel_contexts"]}


async def test_find_look_act_verify_with_user_id_alone() -> None:
    async with Client(_params()) as client:
        await _find_look_act_verify(client)


async def _find_look_act_verify(client: Client) -> None:
    found = await _call(client, "list_agents", query="Wang")
    assert [(agent["user_id"], agent["name"], agent["extension"], agent["state"]) for agent in found["agents"]] == [
        (WANG, "Wang Fang", "8006", "TALKING")
    ]

    status = await _call(client, "get_agent_status", user_id=WANG)
    assert status["call_context"]["job_id"] == "job-demo-3"
    channels = _channels(status)
    assert set(channels) == {WANG, "customer"}
    assert channels["customer"]["flags"] == []
    assert channels[WANG]["flags"] == []

    held = await _call(client, "hold_call", user_id=WANG)
    assert held["ok"]
    assert f"channel_id omitted: {channels['customer']['channel_id']}" in held["resolved"]
    assert "job-demo-3" in held["resolved"]
    assert _channels(await _call(client, "get_agent_status", user_id=WANG))["customer"]["flags"] == ["HOLD"]

    retrieved = await _call(client, "retrieve_call", user_id=WANG)
    assert retrieved["ok"]
    assert f"channel_id omitted: {channels['customer']['channel_id']}" in retrieved["resolved"]
    assert _channels(await _call(client, "get_agent_status", user_id=WANG))["customer"]["flags"] == []

    muted = await _call(client, "mute_call", user_id=WANG)
    assert _channels(muted)[WANG]["flags"] == ["MUTED"]
    assert _channels(await _call(client, "get_agent_status", user_id=WANG))[WANG]["flags"] == ["MUTED"]
    unmuted = await _call(client, "unmute_call", user_id=WANG)
    assert _channels(unmuted)[WANG]["flags"] == []
    assert _channels(await _call(client, "get_agent_status", user_id=WANG))[WANG]["flags"] == []


async def test_a_read_only_server_answers_is_wang_muted_or_on_hold() -> None:
    """With --read-only, the status read is there (a look, not an act) and answers the question in one call:
    each channel names its party, Wang's is marked as hers, the customer's carries the number, and mute and
    hold read one way."""
    async with Client(_params("--read-only")) as client:
        listed = [tool.name for tool in (await client.list_tools()).tools]
        assert listed == ["list_agents", "list_calls", "get_agent_status"]
        status = await _call(client, "get_agent_status", user_id=WANG)
    customer, wang = status["call_context"]["channel_contexts"]
    assert customer == {"channel_id": "ch:customer:13900000006->02100000000:1700000300000:job-demo-3",
                        "party": "external", "number": "13900000006", "channel_state": "ANSWERED", "flags": [],
                        "timestamp": 1700000301000}
    assert wang == {"channel_id": "ch:user:13900000006->8006:1700000300000:job-demo-3", "party": "agent",
                    "user_id": WANG, "subject": True, "channel_state": "ANSWERED", "flags": [],
                    "timestamp": 1700000302000}
    assert "MUTED" not in wang["flags"], "not muted"
    assert "HOLD" not in customer["flags"], "not on hold"


async def test_time_moves_when_the_call_changes() -> None:
    async with Client(_params()) as client:
        await _time_moves(client)


async def _time_moves(client: Client) -> None:
    before = _channels(await _call(client, "get_agent_status", user_id=WANG))[WANG]["timestamp"]
    await _call(client, "mute_call", user_id=WANG)
    after = _channels(await _call(client, "get_agent_status", user_id=WANG))[WANG]["timestamp"]
    assert after > before
    await _call(client, "unmute_call", user_id=WANG)


@pytest.mark.parametrize(
    ("tool", "arguments", "code", "params"),
    [
        ("mute_call", {"user_id": "idle@ccc-demo"}, "Resolve.NoCall", ["idle@ccc-demo", "READY"]),
        ("mute_call", {"user_id": "idle@ccc-demo", "job_id": "job-demo-1"}, "InvalidOperation.UserState",
         ["READY", "TALKING"]),
        ("hold_call", {"user_id": "ringing@ccc-demo", "channel_id": "x"}, "NotExists.ChannelId", None),
        ("retrieve_call", {"user_id": WANG}, "Resolve.NoChannel", ["job-demo-3"]),
        ("retrieve_call", {"user_id": WANG, "job_id": "job-demo-3", "channel_id": "ch:customer:13900000006->02100000000:"
                          "1700000300000:job-demo-3"}, "InvalidOperation.ChannelState", None),
        ("unmute_call", {"user_id": "ringing@ccc-demo"}, "InvalidOperation.ChannelState", ["EARLY", "ANSWERED"]),
        ("get_agent_status", {"user_id": "nobody@ccc-demo"}, "NotExists.UserId", None),
        ("hold_call", {"user_id": "cti-fail@ccc-demo"}, "InternalService.CTI", None),
    ],
)
async def test_each_precondition_answers_its_structured_error(
    tool: str, arguments: dict[str, Any], code: str, params: list[str] | None
) -> None:
    async with Client(_params()) as client:
        out = await _call(client, tool, **arguments)
    assert out["error"]["code"] == code, out["error"]
    if params is not None:
        assert out["error"]["params"] == params
    assert out["error"]["hint"]


async def _names(*flags: str) -> list[str]:
    async with Client(_params(*flags)) as connected:
        return [tool.name for tool in (await connected.list_tools()).tools]


async def test_the_seven_tools_and_the_selections() -> None:
    assert await _names() == ["list_agents", "list_calls", "get_agent_status", "unmute_call", "mute_call",
                              "hold_call", "retrieve_call"]
    assert await _names("--read-only") == ["list_agents", "list_calls", "get_agent_status"]
    assert await _names("--tools", "unmute_call") == ["unmute_call"]


def test_an_unknown_tool_name_stops_start_up_with_the_valid_names() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "ccc_mcp", "serve", "--simulator", "--tools", "unmute_call,unmute"],
        env=_environment(), capture_output=True, text=True, timeout=60, stdin=subprocess.DEVNULL, check=False,
    )
    assert done.returncode == 2
    assert done.stdout == ""
    assert "unknown tools: unmute" in done.stderr
    assert "list_agents, list_calls, get_agent_status, unmute_call, mute_call, hold_call, retrieve_call" in done.stderr
    assert "Traceback" not in done.stderr
