"""The floor question end to end: `ccc-mcp simulator --floor 200` as its own process, the real server over
stdio, the MCP SDK's client. "Who is muted right now?" is one `list_calls`; the simulator's own request
accounting (`GET /_admin/requests`) shows one list page per page of agents and one PollUserStatus per live
call; progress reaches a client that asks for it, and a cancel stops the requests, in both protocol eras."""

from __future__ import annotations

import asyncio
import contextlib
import math
import os
import subprocess
import sys
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from mcp import Client
from mcp.client.stdio import StdioServerParameters

from ccc_mcp.simulator import default_scenario
from ccc_mcp.simulator.floor import FLOOR_INSTANCE_ID, floor_mix
from tests.e2e.conftest import free_port

pytestmark = pytest.mark.e2e

FLOOR = 200
MIX = floor_mix(FLOOR)
ON_CALLS = MIX.talking + MIX.ringing + MIX.dialing
FANOUT = 4
DEMO_KEY = default_scenario().credentials[0]  # what `ccc-mcp simulator` accepts


@pytest.fixture(scope="module")
def floor_simulator() -> Iterator[str]:
    """`ccc-mcp simulator --floor 200 --admin` on a free port: its endpoint."""
    port = free_port()
    environment = {k: v for k, v in os.environ.items() if not k.startswith(("ALIBABA_CLOUD_", "CCC_"))}
    process = subprocess.Popen(
        [sys.executable, "-m", "ccc_mcp", "simulator", "--floor", str(FLOOR), "--admin", "--port", str(port),
         "--log-level", "warning"],
        env=environment, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    endpoint = f"http://127.0.0.1:{port}"
    try:
        for _ in range(300):
            with contextlib.suppress(httpx.TransportError):
                if httpx.get(f"{endpoint}/_admin/requests", timeout=1).status_code == 200:
                    break
            assert process.poll() is None, "the simulator exited"
            asyncio.run(asyncio.sleep(0.05))
        yield endpoint
    finally:
        process.kill()
        process.wait(timeout=10)


def _admin(endpoint: str, method: str, path: str, body: Any = None) -> Any:
    response = httpx.request(method, f"{endpoint}/_admin/{path}", json=body, timeout=5)
    response.raise_for_status()
    return response.json() if response.content else None


def _params(endpoint: str) -> StdioServerParameters:
    environment = {k: v for k, v in os.environ.items() if not k.startswith(("ALIBABA_CLOUD_", "CCC_"))}
    environment.update({
        "ALIBABA_CLOUD_ECS_METADATA_DISABLED": "true",
        "ALIBABA_CLOUD_ACCESS_KEY_ID": DEMO_KEY.access_key_id,
        "ALIBABA_CLOUD_ACCESS_KEY_SECRET": DEMO_KEY.access_key_secret,
        "CCC_ENDPOINT": endpoint,
        "CCC_INSTANCE_ID": FLOOR_INSTANCE_ID,
        "CCC_MCP_FANOUT": str(FANOUT),
        "CCC_MCP_FANOUT_RATE": "10000",
        "CCC_MCP_AUDIT_LOG": "off",
    })
    return StdioServerParameters(command=sys.executable, args=["-m", "ccc_mcp"], env=environment)


def _polls(endpoint: str) -> int:
    return int(_admin(endpoint, "GET", "requests")["actions"].get("PollUserStatus", {}).get("received", 0))


@pytest.fixture
def floor(floor_simulator: str) -> Iterator[str]:
    """The floor simulator with its counts and faults cleared before and after the test."""
    _admin(floor_simulator, "DELETE", "requests")
    yield floor_simulator
    _admin(floor_simulator, "DELETE", "faults")
    _admin(floor_simulator, "DELETE", "requests")


async def test_who_is_muted_is_one_tool_call_and_one_poll_per_live_call(floor: str) -> None:
    async with Client(_params(floor)) as client:
        result = await client.call_tool("list_calls", {"flags": ["MUTED"], "limit": 100})
    out = result.structured_content or {}
    muted = {ch["user_id"] for call in out["calls"] for ch in call["channel_contexts"] if "MUTED" in ch["flags"]}
    assert len(muted) == MIX.muted
    counted = _admin(floor, "GET", "requests")
    assert counted["actions"]["ListRealtimeAgentStates"]["received"] == math.ceil(ON_CALLS / 100)
    assert counted["actions"]["PollUserStatus"]["received"] == MIX.live_calls
    assert set(counted["poll_user_status"]["by_job"].values()) == {1}, "never two polls for one call"
    assert counted["most_in_flight"]["PollUserStatus"] <= FANOUT


@pytest.mark.parametrize("mode", ["auto", "legacy"], ids=["modern", "legacy"])
async def test_progress_reaches_a_client_that_asks(floor: str, mode: str) -> None:
    reports: list[tuple[float, float | None]] = []

    async def progress(done: float, total: float | None, _message: str | None) -> None:
        reports.append((done, total))

    async with Client(_params(floor), mode=mode) as client:
        await client.call_tool("list_calls", {}, progress_callback=progress)
    assert reports
    assert reports[-1] == (ON_CALLS, ON_CALLS)


@pytest.mark.parametrize("mode", ["auto", "legacy"], ids=["modern", "legacy"])
async def test_no_progress_reaches_a_client_that_did_not_ask(floor: str, mode: str) -> None:
    """Without a progressToken, the only message the call brings is its answer."""
    seen: list[Any] = []

    async def every_message(message: Any) -> None:
        seen.append(message)

    async with Client(_params(floor), mode=mode, message_handler=every_message) as client:
        result = await client.call_tool("list_calls", {})
    assert not result.is_error
    assert [message for message in seen if "progress" in type(message).__name__.lower() or "progress" in repr(
        message)[:200].lower()] == []


@pytest.mark.parametrize("mode", ["auto", "legacy"], ids=["modern", "legacy"])
async def test_a_cancel_stops_the_requests(floor: str, mode: str) -> None:
    """Each poll takes 50 ms: cancelled after some twenty, the call sends nothing more than what was already
    on its way (at most the in-flight bound)."""
    _admin(floor, "POST", "faults", {"kind": "latency", "action": "PollUserStatus", "ms": 50})
    async with Client(_params(floor), mode=mode) as client:
        await client.list_tools()
        call = asyncio.create_task(client.call_tool("list_calls", {}))
        for _ in range(1000):  # until some twenty polls have reached the simulator
            if _polls(floor) >= 20:
                break
            await asyncio.sleep(0.01)
        call.cancel()
        at_cancel = _polls(floor)
        with contextlib.suppress(asyncio.CancelledError):
            await call
        await asyncio.sleep(1.0)  # 20 polls' worth: a fan-out still running would have sent them
        after = _polls(floor)
        assert after - at_cancel <= FANOUT, (at_cancel, after)
        again = await client.call_tool("get_agent_status", {"user_id": "agent00001@ccc-floor"})
    assert not again.is_error, "the server keeps serving"
