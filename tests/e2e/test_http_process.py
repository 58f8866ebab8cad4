"""`ccc-mcp serve --transport http` as a real process: serves both protocol eras, shuts down gracefully."""

from __future__ import annotations

import asyncio
import os
import signal
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from mcp import Client

from ccc_mcp.simulator import Simulator
from tests.e2e.conftest import server_log
from tests.environment import FAST_PATHS

pytestmark = pytest.mark.e2e
ARGS = {"instance_id": "ccc-demo", "user_id": "agent@ccc-demo"}
HEADERS = {"accept": "application/json, text/event-stream", "mcp-protocol-version": "2025-11-25"}


async def test_http_process_serves_both_eras(
    simulator: Simulator, http_process: Callable[..., Any], protocol_mode: str, tmp_path: Path
) -> None:
    base, _ = http_process(simulator, CCC_MCP_LOG_LEVEL="DEBUG")
    async with Client(f"{base}/mcp", mode=protocol_mode) as client:
        result = await client.call_tool("unmute_call", ARGS)
    assert not result.is_error, result.structured_content
    assert " start-up objects frozen" in server_log(tmp_path), "the garbage collector settled before serving"
    off = os.environ.get(FAST_PATHS) == "off"  # CI's second pass (.ci/run)
    assert ("MCP SDK fast paths off" in server_log(tmp_path)) == off, "the switch reached the server"


async def test_sigterm_lets_the_in_flight_call_finish(simulator: Simulator, http_process: Callable[..., Any]) -> None:
    """Raw HTTP, so that nothing but the one in-flight request talks to the server after SIGTERM."""
    base, process = http_process(simulator, CCC_MCP_SHUTDOWN_GRACE="10")
    simulator.faults.add({"kind": "latency", "ms": 1500, "times": 1})
    call = {"jsonrpc": "2.0", "id": 2, "method": "tools/call", "params": {"name": "unmute_call", "arguments": ARGS}}
    async with httpx.AsyncClient(timeout=20) as http:
        request = asyncio.create_task(http.post(f"{base}/mcp", json=call, headers=HEADERS))
        await asyncio.sleep(0.5)  # the call is now waiting on the slow upstream
        process.send_signal(signal.SIGTERM)
        response = await request
    assert response.status_code == 200
    result = response.json()["result"]
    assert result["isError"] is False
    assert result["structuredContent"]["ok"] is True
    # uvicorn re-raises the signal once it has shut down gracefully, as supervisors expect.
    assert process.wait(timeout=15) in (0, -signal.SIGTERM)

