"""(2) Per call over stdio, steady state, against `ccc-mcp simulator` running as its own process.

Series, interleaved round by round (each run: `stdio_calls` calls one after another, figure = mean ms/call):
- ccc-mcp `unmute_call` over stdio (the measured figure), the same with the plain-httpx client, and the same
  with CCC_MCP_SDK_FAST_PATHS=off (a reference row: the SDK's own stdio transport and loop);
- a bare no-op tool over stdio, and the official SDK's own sync `unmute_call_with_options` to the same
  simulator: their sum is the reference (goal: ccc-mcp <= 0.9 x the sum);
- our `CccClient` alone, signed request to the simulator (aiohttp engine and plain httpx), in this process:
  ccc-mcp's figure minus this one is what the MCP layer itself costs;
- every other tool's call, and the official-SDK calls of its references (`stdio_tools`): reported, no goal.
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
from benchmarks.stdio_tools import (
    DEVICE_ID,
    ROWS,
    SDK_CYCLES,
    TOOL_CYCLES,
    UNMUTE,
    CycleBatch,
    check_tool_result,
    sdk_client,
    sdk_cycle,
    sdk_series,
    tool_cycle,
)

GOAL = 0.90

MCP_STDIO = "ccc-mcp unmute_call (stdio)"
MCP_STDIO_OFF = "ccc-mcp unmute_call, SDK fast paths off (stdio)"
MCP_STDIO_PLAIN = "ccc-mcp unmute_call, plain httpx (stdio)"
BARE_STDIO = "bare no-op tool (stdio)"
SDK = sdk_series("UnmuteCall")
CLIENT = "CccClient alone (httpx-aiohttp)"
CLIENT_PLAIN = "CccClient alone (plain httpx)"
REFERENCE = "reference: bare no-op + official SDK"


def _series(name: str, batch: Callable[[int], Awaitable[float]]) -> CycleBatch:
    """A batch of one series as a cycle batch."""

    async def cycle(calls: int) -> dict[str, float]:
        return {name: await batch(calls)}

    return cycle


def _stdio_batch(series: str, server: StdioServer, tool: str, arguments: dict[str, Any]) -> CycleBatch:
    async def batch(calls: int) -> float:
        started = time.perf_counter()
        for _ in range(calls):
            check_tool_result(series, await server.call_tool(tool, arguments))
        return (time.perf_counter() - started) / calls

    return _series(series, batch)


def _client_batch(series: str, client: Any) -> CycleBatch:
    query = {"InstanceId": DEMO_INSTANCE, "UserId": DEMO_USER, "DeviceId": DEVICE_ID}

    async def batch(calls: int) -> float:
        started = time.perf_counter()
        for _ in range(calls):
            result = await client.call("UnmuteCall", query)
            if not result.ok:
                raise RuntimeError(f"{series}: {result.error}")
        return (time.perf_counter() - started) / calls

    return _series(series, batch)


def tool_table(runs: dict[str, list[float]]) -> dict[str, Any]:
    """Per tool: ms per call, its reference (bare no-op + one SDK call per CCC action), paired ratio."""
    table: dict[str, Any] = {}
    for row in ROWS:
        measured = runs[MCP_STDIO if row.series == UNMUTE else row.series]
        parts = [runs[BARE_STDIO], *(runs[sdk_series(action)] for action in row.actions)]
        reference = [sum(values) for values in zip(*parts, strict=True)]
        table[row.series] = {
            "tool": row.tool,
            "mode": row.mode,
            "upstream_requests": list(row.actions),
            "reference": "bare no-op + " + " + ".join(f"SDK {action}" for action in row.actions),
            "ms": summary(measured),
            "reference_ms": summary(reference),
            "ratio": paired_ratio(measured, reference),
        }
    return table


async def run(ctx: Context) -> dict[str, Any]:
    import httpx

    from ccc_mcp.api.client import CccClient
    from ccc_mcp.api.credentials import StaticCredentials
    from ccc_mcp.api.signing import SigningKey

    sizes = ctx.sizes
    env = server_env(ctx.sim_endpoint)
    servers = {
        MCP_STDIO: StdioServer([PYTHON, "-m", "ccc_mcp"], env, ctx.log_dir / "stdio-ccc-mcp.log"),
        MCP_STDIO_OFF: StdioServer(
            [PYTHON, "-m", "ccc_mcp"],
            server_env(ctx.sim_endpoint, CCC_MCP_SDK_FAST_PATHS="off"),
            ctx.log_dir / "stdio-ccc-mcp-fast-paths-off.log",
        ),
        MCP_STDIO_PLAIN: StdioServer(
            [PYTHON, str(PLAIN_HTTPX_SERVER), "--transport", "stdio"], env, ctx.log_dir / "stdio-plain.log"
        ),
        BARE_STDIO: StdioServer([PYTHON, str(BARE_SERVER)], child_env(), ctx.log_dir / "stdio-bare.log"),
    }
    credentials = StaticCredentials(SigningKey(SIM_ACCESS_KEY_ID, SIM_ACCESS_KEY_SECRET))
    client = CccClient(endpoint=ctx.sim_endpoint, credentials=credentials)
    plain = httpx.AsyncHTTPTransport(limits=httpx.Limits(max_connections=100, max_keepalive_connections=32))
    client_plain = CccClient(endpoint=ctx.sim_endpoint, credentials=credentials, transport=plain)
    sdk = sdk_client(ctx.sim_endpoint)
    try:
        await asyncio.gather(*(server.start() for server in servers.values()))
        batches: dict[str, CycleBatch] = {
            MCP_STDIO: _stdio_batch(MCP_STDIO, servers[MCP_STDIO], "unmute_call", UNMUTE_ARGUMENTS),
            MCP_STDIO_OFF: _stdio_batch(MCP_STDIO_OFF, servers[MCP_STDIO_OFF], "unmute_call", UNMUTE_ARGUMENTS),
            MCP_STDIO_PLAIN: _stdio_batch(MCP_STDIO_PLAIN, servers[MCP_STDIO_PLAIN], "unmute_call", UNMUTE_ARGUMENTS),
            BARE_STDIO: _stdio_batch(BARE_STDIO, servers[BARE_STDIO], "noop", {}),
            SDK: sdk_cycle(sdk, SDK_CYCLES["UnmuteCall"]),
            CLIENT: _client_batch(CLIENT, client),
            CLIENT_PLAIN: _client_batch(CLIENT_PLAIN, client_plain),
        }
        batches |= {f"ccc-mcp {name}": tool_cycle(servers[MCP_STDIO], steps) for name, steps in TOOL_CYCLES.items()}
        batches |= {f"SDK {name}": sdk_cycle(sdk, steps) for name, steps in SDK_CYCLES.items() if name != "UnmuteCall"}
        for batch in batches.values():
            await batch(sizes.stdio_warmup)
        runs: dict[str, list[float]] = {}
        for round_number in range(sizes.stdio_rounds):
            ctx.progress(f"stdio per call: round {round_number + 1}/{sizes.stdio_rounds}")
            for batch in batches.values():
                for series, seconds in (await batch(sizes.stdio_calls)).items():
                    runs.setdefault(series, []).append(seconds * 1000)
    finally:
        for server in servers.values():
            await server.close()
        await client.aclose()
        await client_plain.aclose()

    runs[REFERENCE] = [a + b for a, b in zip(runs[BARE_STDIO], runs[SDK], strict=True)]
    ratio = paired_ratio(runs[MCP_STDIO], runs[REFERENCE])
    mcp_layer = [a - b for a, b in zip(runs[MCP_STDIO], runs[CLIENT], strict=True)]
    core = (MCP_STDIO, MCP_STDIO_OFF, MCP_STDIO_PLAIN, BARE_STDIO, SDK, CLIENT, CLIENT_PLAIN, REFERENCE)
    return {
        "description": "mean ms per call within a run of sequential calls; median over interleaved runs",
        "rounds": sizes.stdio_rounds,
        "calls_per_run": sizes.stdio_calls,
        "series_ms": {name: summary(runs[name]) for name in core},
        "mcp_layer_ms": summary(mcp_layer),
        "ratio": ratio,
        "plain_httpx_vs_aiohttp": paired_ratio(runs[MCP_STDIO_PLAIN], runs[MCP_STDIO]),
        "fast_paths_off": {  # a reference row, not a goal: what CCC_MCP_SDK_FAST_PATHS=off costs
            "ratio": paired_ratio(runs[MCP_STDIO_OFF], runs[REFERENCE]),
            "vs_on": paired_ratio(runs[MCP_STDIO_OFF], runs[MCP_STDIO]),
        },
        "tools": tool_table(runs),
        "goal": {"max_ratio": GOAL, "met": ratio["median"] <= GOAL},
        "runs": runs,
    }
