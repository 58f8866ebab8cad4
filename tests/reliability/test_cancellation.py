"""A client that gives up mid-call: the server cancels the upstream request and stays healthy."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

import httpx2
import pytest
from mcp import Client
from mcp.client.streamable_http import streamable_http_client

from ccc_mcp.simulator import Simulator
from tests.reliability.conftest import ARGS, CANARY_TOKEN


def _agent_channel_flags(sim: Simulator) -> list[str]:
    call = sim.state.instances["ccc-demo"].calls["job-demo-1"]
    channel = call.channel_of("agent@ccc-demo")
    assert channel is not None
    return list(channel.flags)


@asynccontextmanager
async def _http_client(url: str, mode: str) -> AsyncIterator[Client]:
    headers = {"Authorization": f"Bearer {CANARY_TOKEN}"}
    async with (
        httpx2.AsyncClient(headers=headers, timeout=30) as http,
        Client(streamable_http_client(url, http_client=http), mode=mode) as client,
    ):
        yield client


async def give_up_mid_call(client: Client) -> None:
    """Start a call, and abandon it while the request waits out the simulator's injected latency."""
    call = asyncio.create_task(client.call_tool("unmute_call", ARGS))
    await asyncio.sleep(0.3)
    call.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await call


async def hang_ups_seen(sim: Simulator) -> int:
    """How many requests the simulator saw abandoned (waiting up to 2 s for the first)."""
    for _ in range(100):
        if sim.stats.outcomes["client:hung-up"]:
            break
        await asyncio.sleep(0.02)
    return sim.stats.outcomes["client:hung-up"]


async def test_abandoned_call_cancels_the_upstream_request(
    simulator: Simulator, http_stack: Callable[..., Any], figures: dict[str, Any], protocol_mode: str
) -> None:
    """Over HTTP, in both eras: the client hangs up, the server cancels its request to CCC."""
    assert "MUTED" in _agent_channel_flags(simulator)
    simulator.faults.add({"kind": "latency", "ms": 1500, "times": 1})
    async with http_stack(deadline=5.0, read_timeout=5.0) as url, _http_client(url, protocol_mode) as client:
        await client.list_tools()
        await give_up_mid_call(client)
        # The simulator saw our side hang up before its back end was called: nothing was applied.
        assert await hang_ups_seen(simulator) == 1
        assert "MUTED" in _agent_channel_flags(simulator), "the abandoned unmute never reached the back end"

        result = await client.call_tool("unmute_call", ARGS)
    assert not result.is_error, "the server keeps serving"
    assert "MUTED" not in _agent_channel_flags(simulator)
    figures.setdefault("cancellation", {})[protocol_mode] = {"upstream_cancelled": True, "next_call_ok": True}


async def test_in_memory_legacy_cancellation_reaches_the_upstream_request(
    simulator: Simulator, mcp_client: Callable[..., Any]
) -> None:
    """In process, a 2025-era client's notifications/cancelled stops the call the same way."""
    simulator.faults.add({"kind": "latency", "ms": 1500, "times": 1})
    async with mcp_client("legacy", deadline=5.0, read_timeout=5.0) as client:
        await give_up_mid_call(client)
        assert await hang_ups_seen(simulator) == 1
        assert not (await client.call_tool("unmute_call", ARGS)).is_error


async def test_client_timeout_leaves_the_server_healthy(simulator: Simulator, mcp_client: Callable[..., Any]) -> None:
    simulator.faults.add({"kind": "latency", "ms": 1500, "times": 1})
    async with mcp_client("legacy", deadline=5.0, read_timeout=5.0) as client:
        # The SDK reports its own timeout; what matters is the server after it.
        with pytest.raises(Exception, match="timed out"):
            await client.call_tool("unmute_call", ARGS, read_timeout_seconds=0.3)
        result = await client.call_tool("unmute_call", ARGS)
    assert not result.is_error
