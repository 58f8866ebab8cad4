"""(1) Cold start: spawn -> first `tools/list` response over stdio, ccc-mcp against a bare MCPServer.

Each run spawns a fresh interpreter and writes the handshake and `tools/list` at once (as a desktop client
does, without waiting); the clock stops when the `tools/list` response is read. The first `tools/call`
after it is timed too (not a goal): it shows what ccc-mcp pays lazily on its first call (the HTTP stack).
"""

from __future__ import annotations

import time
from typing import Any

from benchmarks.common import (
    BARE_SERVER,
    PYTHON,
    UNMUTE_ARGUMENTS,
    child_env,
    cpu_seconds,
    paired_ratio,
    server_env,
    summary,
)
from benchmarks.context import Context
from benchmarks.stdio_client import TOOLS_LIST, StdioServer, handshake

GOAL = 1.10


def variants(ctx: Context) -> dict[str, tuple[list[str], dict[str, str], str, dict[str, Any]]]:
    """name -> (argv, env, tool, arguments)."""
    return {
        "ccc-mcp": ([PYTHON, "-m", "ccc_mcp"], server_env(ctx.sim_endpoint), "unmute_call", UNMUTE_ARGUMENTS),
        "bare": ([PYTHON, str(BARE_SERVER)], child_env(), "noop", {}),
    }


async def once(ctx: Context, name: str) -> tuple[float, float, float]:
    """Seconds from spawn to the tools/list response, the CPU seconds the server used until then (less
    sensitive than wall time to a busy machine), and the seconds of the first tools/call."""
    argv, env, tool, arguments = variants(ctx)[name]
    server = StdioServer(argv, env, ctx.log_dir / f"cold-{name}.log")
    try:
        await server.spawn(handshake(0) + TOOLS_LIST)
        listed = await server.read_response(1)
        to_list = time.perf_counter() - server.spawned_at
        cpu = cpu_seconds(server.pid)
        if not listed["result"]["tools"]:
            raise RuntimeError(f"{name} listed no tools")
        started = time.perf_counter()
        result = await server.call_tool(tool, arguments)
        first_call = time.perf_counter() - started
        if result.get("isError"):
            raise RuntimeError(f"{name}: first {tool} failed: {result}")
    finally:
        await server.close()
    return to_list, cpu, first_call


async def run(ctx: Context) -> dict[str, Any]:
    names = list(variants(ctx))
    if ctx.sizes.cold_warmup:
        for name in names:  # untimed: writes bytecode (as `pip install` does) and warms the page cache
            await once(ctx, name)
    to_list: dict[str, list[float]] = {name: [] for name in names}
    cpu: dict[str, list[float]] = {name: [] for name in names}
    first_call: dict[str, list[float]] = {name: [] for name in names}
    for round_number in range(ctx.sizes.cold_rounds):
        ctx.progress(f"cold start: round {round_number + 1}/{ctx.sizes.cold_rounds}")
        for name in names:
            listed, used, called = await once(ctx, name)
            to_list[name].append(listed * 1000)
            cpu[name].append(used * 1000)
            first_call[name].append(called * 1000)
    ratio = paired_ratio(to_list["ccc-mcp"], to_list["bare"])
    return {
        "description": "spawn -> first tools/list response over stdio (handshake written at spawn)",
        "rounds": ctx.sizes.cold_rounds,
        "variants": {
            name: {
                "tools_list_ms": summary(to_list[name]),
                "tools_list_cpu_ms": summary(cpu[name]),
                "first_call_ms": summary(first_call[name]),
            }
            for name in names
        },
        "ratio": ratio,
        "cpu_ratio": paired_ratio(cpu["ccc-mcp"], cpu["bare"]),
        "goal": {"max_ratio": GOAL, "met": ratio["median"] <= GOAL},
        "runs": {"tools_list_ms": to_list, "tools_list_cpu_ms": cpu, "first_call_ms": first_call},
    }
