"""(2) Per call over stdio, steady state, against `ccc-mcp simulator` running as its own process.

Series, interleaved round by round (each run: `stdio_calls` calls one after another, figure = mean ms/call):
- ccc-mcp `unmute_call` over stdio (the measured figure), and the same with the plain-httpx client;
- a bare no-op tool over stdio, and the official SDK's own sync `unmute_call_with_options` to the same
  simulator: their sum is the reference (goal: ccc-mcp <= 1.00 x the sum);
- our `CccClient` alone, signed request to the simulator (aiohttp engine and plain httpx), in this process:
  ccc-mcp's figure minus this one is what the MCP layer itself costs.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import Any

from benchmarks.common import (
    BARE_SERVER,
    DEMO_INSTANCE,
    DEMO_USER,
    PLAIN_HTTPX_SERVER,
    PYTHON,
    SIM_ACCESS_KEY_ID,
    SIM_ACCESS_KEY_SECRET,
    UNMUTE_ARGUMENTS,
    child_env,
    paired_ratio,
    server_env,
    summary,
)
from benchmarks.context import Context
from benchmarks.stdio_client import StdioServer

GOAL = 1.00
DEVICE_ID = "ccc-mcp-server"  # what ccc-mcp sends when a call omits device_id; the SDK sends the same

MCP_STDIO = "ccc-mcp unmute_call (stdio)"
MCP_STDIO_PLAIN = "ccc-mcp unmute_call, plain httpx (stdio)"
BARE_STDIO = "bare no-op tool (stdio)"
SDK = "official SDK sync unmute_call_with_options"
CLIENT = "CccClient alone (httpx-aiohttp)"
CLIENT_PLAIN = "CccClient alone (plain httpx)"
REFERENCE = "reference: bare no-op + official SDK"

Batch = Callable[[int], Awaitable[float]]


def _check_tool_result(series: str, result: dict[str, Any]) -> None:
    if result.get("isError") or not (result.get("structuredContent") or {}).get("ok", True):
        raise RuntimeError(f"{series}: the call failed: {result}")


def _stdio_batch(series: str, server: StdioServer, tool: str, arguments: dict[str, Any]) -> Batch:
    async def batch(calls: int) -> float:
        started = time.perf_counter()
        for _ in range(calls):
            _check_tool_result(series, await server.call_tool(tool, arguments))
        return (time.perf_counter() - started) / calls

    return batch


def _sdk_batch(endpoint: str) -> Batch:
    """The official SDK, synchronous as its users call it; run in a worker thread so this loop stays free."""
    from alibabacloud_ccc20200701 import models
    from alibabacloud_ccc20200701.client import Client
    from alibabacloud_tea_openapi import models as open_api_models
    from alibabacloud_tea_util import models as util_models

    config = open_api_models.Config(
        access_key_id=SIM_ACCESS_KEY_ID,
        access_key_secret=SIM_ACCESS_KEY_SECRET,
        endpoint=endpoint.removeprefix("http://"),
        protocol="http",
        region_id="cn-shanghai",
    )
    client = Client(config)
    request = models.UnmuteCallRequest(instance_id=DEMO_INSTANCE, user_id=DEMO_USER, device_id=DEVICE_ID)
    runtime = util_models.RuntimeOptions()

    def run(calls: int) -> float:
        started = time.perf_counter()
        for _ in range(calls):
            response = client.unmute_call_with_options(request, runtime)
            if response.status_code != 200 or response.body.code != "OK":
                raise RuntimeError(f"{SDK}: {response.status_code} {response.body.code}")
        return (time.perf_counter() - started) / calls

    async def batch(calls: int) -> float:
        return await asyncio.to_thread(run, calls)

    return batch


def _client_batch(series: str, client: Any) -> Batch:
    query = {"InstanceId": DEMO_INSTANCE, "UserId": DEMO_USER, "DeviceId": DEVICE_ID}

    async def batch(calls: int) -> float:
        started = time.perf_counter()
        for _ in range(calls):
            result = await client.call("UnmuteCall", query)
            if not result.ok:
                raise RuntimeError(f"{series}: {result.error}")
        return (time.perf_counter() - started) / calls

    return batch


async def run(ctx: Context) -> dict[str, Any]:
    import httpx

    from ccc_mcp.api.client import CccClient
    from ccc_mcp.api.credentials import StaticCredentials
    from ccc_mcp.api.signing import SigningKey

    sizes = ctx.sizes
    env = server_env(ctx.sim_endpoint)
    servers = {
        MCP_STDIO: StdioServer([PYTHON, "-m", "ccc_mcp"], env, ctx.log_dir / "stdio-ccc-mcp.log"),
        MCP_STDIO_PLAIN: StdioServer(
            [PYTHON, str(PLAIN_HTTPX_SERVER), "--transport", "stdio"], env, ctx.log_dir / "stdio-plain.log"
        ),
        BARE_STDIO: StdioServer([PYTHON, str(BARE_SERVER)], child_env(), ctx.log_dir / "stdio-bare.log"),
    }
    credentials = StaticCredentials(SigningKey(SIM_ACCESS_KEY_ID, SIM_ACCESS_KEY_SECRET))
    client = CccClient(endpoint=ctx.sim_endpoint, credentials=credentials)
    plain = httpx.AsyncHTTPTransport(limits=httpx.Limits(max_connections=100, max_keepalive_connections=32))
    client_plain = CccClient(endpoint=ctx.sim_endpoint, credentials=credentials, transport=plain)
    try:
        await asyncio.gather(*(server.start() for server in servers.values()))
        batches: dict[str, Batch] = {
            MCP_STDIO: _stdio_batch(MCP_STDIO, servers[MCP_STDIO], "unmute_call", UNMUTE_ARGUMENTS),
            MCP_STDIO_PLAIN: _stdio_batch(MCP_STDIO_PLAIN, servers[MCP_STDIO_PLAIN], "unmute_call", UNMUTE_ARGUMENTS),
            BARE_STDIO: _stdio_batch(BARE_STDIO, servers[BARE_STDIO], "noop", {}),
            SDK: _sdk_batch(ctx.sim_endpoint),
            CLIENT: _client_batch(CLIENT, client),
            CLIENT_PLAIN: _client_batch(CLIENT_PLAIN, client_plain),
        }
        for batch in batches.values():
            await batch(sizes.stdio_warmup)
        runs: dict[str, list[float]] = {name: [] for name in batches}
        for round_number in range(sizes.stdio_rounds):
            ctx.progress(f"stdio per call: round {round_number + 1}/{sizes.stdio_rounds}")
            for name, batch in batches.items():
                runs[name].append(await batch(sizes.stdio_calls) * 1000)
    finally:
        for server in servers.values():
            await server.close()
        await client.aclose()
        await client_plain.aclose()

    runs[REFERENCE] = [a + b for a, b in zip(runs[BARE_STDIO], runs[SDK], strict=True)]
    ratio = paired_ratio(runs[MCP_STDIO], runs[REFERENCE])
    mcp_layer = [a - b for a, b in zip(runs[MCP_STDIO], runs[CLIENT], strict=True)]
    return {
        "description": "mean ms per call within a run of sequential calls; median over interleaved runs",
        "rounds": sizes.stdio_rounds,
        "calls_per_run": sizes.stdio_calls,
        "series_ms": {name: summary(values) for name, values in runs.items()},
        "mcp_layer_ms": summary(mcp_layer),
        "ratio": ratio,
        "plain_httpx_vs_aiohttp": paired_ratio(runs[MCP_STDIO_PLAIN], runs[MCP_STDIO]),
        "goal": {"max_ratio": GOAL, "met": ratio["median"] <= GOAL},
        "runs": runs,
    }
