""""Unmute me": with a default agent (`CCC_USER_ID`), user_id may be omitted, and the schema says who it
means. `ram` means the agent CCC maps to the server's credentials: no UserId is sent at all, exactly as the
UnmuteCall page describes, and CCC (here the simulator) decides."""

from __future__ import annotations

import logging
from typing import Any

import anyio
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from mcp import Client

from ccc_mcp.api.credentials import StaticCredentials
from ccc_mcp.config.settings import load_settings
from ccc_mcp.mcpserver.assembly import build_server
from tests.fakes import FAKE_ENDPOINT, TEST_KEY, FakeCcc
from tests.simulated import against_the_simulator


def _wire(caplog: pytest.LogCaptureFixture) -> list[str]:
    """The simulator's one line per request: action, the parameters it received, the outcome."""
    return [r.getMessage() for r in caplog.records if r.name == "ccc_mcp.simulator.requests"]


async def test_ram_unmutes_the_credentials_agent_with_no_ids_at_all(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="ccc_mcp.simulator.requests")
    async with against_the_simulator(user_id="ram") as (client, sim):
        [tool] = [t for t in (await client.list_tools()).tools if t.name == "unmute_call"]
        result = await client.call_tool("unmute_call", {})
        flags = next(ch.flags for ch in sim.state.instances["ccc-demo"].calls["job-demo-1"].channels if ch.user_id)
    out = result.structured_content or {}
    assert out["ok"] is True, out
    assert out["user_context"]["user_id"] == "agent@ccc-demo", "the agent the demo AccessKey maps to"
    assert "MUTED" not in flags
    [line] = _wire(caplog)
    assert line.startswith("UnmuteCall ")
    assert "UserId" not in line, "no UserId on the wire"
    assert tool.input_schema["required"] == []
    assert tool.input_schema["properties"]["user_id"]["description"].endswith(
        "Optional: defaults to the agent linked to this server's credentials."
    )


async def test_ram_resolves_and_mutes_with_no_user_id_on_either_request(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="ccc_mcp.simulator.requests")
    async with against_the_simulator(user_id="ram") as (client, _):
        result = await client.call_tool("mute_call", {})
    out = result.structured_content or {}
    assert out["ok"] is True, out
    assert "job-demo-1" in out["resolved"]
    lines = _wire(caplog)
    assert [line.split()[0] for line in lines] == ["PollUserStatus", "MuteCall"]
    assert not [line for line in lines if "UserId" in line]


async def test_a_named_default_agent_is_used_and_described(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="ccc_mcp.simulator.requests")
    async with against_the_simulator(user_id="wang@ccc-demo") as (client, _):
        tools = {t.name: t for t in (await client.list_tools()).tools}
        held = await client.call_tool("hold_call", {})
        other = await client.call_tool("get_agent_status", {"user_id": "idle@ccc-demo"})
    assert (held.structured_content or {})["ok"] is True
    assert "channel_id omitted: ch:customer:" in (held.structured_content or {})["resolved"]
    assert (other.structured_content or {})["user_context"]["user_id"] == "idle@ccc-demo", "an explicit id wins"
    description = tools["hold_call"].input_schema["properties"]["user_id"]["description"]
    assert description.endswith("Optional: defaults to you, wang@ccc-demo.")
    assert "UserId=wang@ccc-demo" in _wire(caplog)[0]


async def test_without_a_default_user_id_is_required_and_its_absence_sends_nothing() -> None:
    async with against_the_simulator() as (client, sim):
        tools = {t.name: t for t in (await client.list_tools()).tools}
        sim.stats.clear()
        result = await client.call_tool("unmute_call", {})
    assert tools["unmute_call"].input_schema["required"] == ["user_id"]
    assert (result.structured_content or {})["error"]["code"] == "Parameter.Blank"
    assert (result.structured_content or {})["error"]["params"] == ["user_id"]
    assert sim.stats.received == 0


# --- generated input with a default agent: omitting user_id is valid, anything else as before ------------------

GOOD_IDS = st.text(alphabet=st.characters(codec="utf-8", categories=("L", "N", "P", "S", "Zs")), min_size=1,
                   max_size=40).filter(lambda text: bool(text.strip()))
ANY_VALUE = st.one_of(st.none(), st.integers(), st.booleans(), st.lists(st.text(max_size=3), max_size=2),
                      st.text(max_size=300), GOOD_IDS)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(user=st.one_of(st.just(...), ANY_VALUE), default=st.sampled_from(["ram", "wang@ccc-test"]))
def test_with_a_default_agent_user_id_may_be_omitted_and_is_still_validated(user: object, default: str) -> None:
    """With `CCC_USER_ID`, an omitted (or null) user_id means the default — `ram`: no UserId on the wire — and a
    given one is validated exactly as without a default: a bad one is refused and nothing is sent."""
    fake = FakeCcc()
    arguments: dict[str, object] = {"instance_id": "ccc-test"}
    if user is not ...:
        arguments["user_id"] = user
    out = anyio.run(_unmute, fake, arguments, default)
    omitted = user is ... or user is None
    valid = omitted or (isinstance(user, str) and _acceptable(user))
    if not valid:
        assert out["error"]["code"] in ("Parameter.Blank", "Parameter.Invalid")
        assert out["error"]["params"] == ["user_id"]
        assert fake.seen == []
        return
    [seen] = fake.seen
    expected = None if omitted and default == "ram" else (default if omitted else str(user).strip())
    assert seen.query.get("UserId") == expected
    assert seen.signature_valid


def _acceptable(text: str) -> bool:
    import unicodedata

    trimmed = text.strip()
    refused = {"Cc", "Cf", "Zl", "Zp", "Cs"}
    return 0 < len(trimmed) <= 256 and not any(unicodedata.category(char) in refused for char in trimmed)


async def _unmute(fake: FakeCcc, arguments: dict[str, object], default: str) -> dict[str, Any]:
    configured = load_settings(endpoint=FAKE_ENDPOINT, user_id=default, audit_log="off")
    server = build_server(configured, credentials=StaticCredentials(TEST_KEY), transport=fake.transport())
    async with Client(server) as client:
        result = await client.call_tool("unmute_call", arguments)
    return result.structured_content or {}
