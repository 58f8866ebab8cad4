"""(1) Cold start: spawn -> first `tools/list` response over stdio, ccc-mcp against a bare MCPServer.

Each run spawns a fresh interpreter and writes the handshake and `tools/list` at once (as a desktop client
does, without waiting); the clock stops when the `tools/list` response is read. The first `tools/call`
after it is timed too (not a goal): it shows what ccc-mcp pays lazily on its first call (the HTTP stack).

ccc-mcp runs with OTEL_EXPORTER_OTLP_ENDPOINT unset (`child_env` strips every OTEL_* variable), so its
figure is the cold start with telemetry off. When the `[otel]` extra is installed, one more variant runs
ccc-mcp with the extra's packages made unimportable (`hide_otel/sitecustomize.py`; opentelemetry-api, which
the MCP SDK requires, stays): the pair shows what merely installing the extra costs the cold start.
"""

from __future__ import annotations

import os
import time
from typing import Any

from benchmarks.common import (
    BARE_SERVER,
    BENCH_DIR,
    PYTHON,
    UNMUTE_ARGUMENTS,
    child_env,
    cpu_seconds,
    paired_ratio,
    server_env,
    summary,
)
from benchmarks.context import Context
from benchmarks.fleet_services import otel_installed
from benchmarks.stdio_client import TOOLS_LIST, StdioServer, handshake

GOAL = 1.10
TOOLS = 7  # ccc-mcp publishes its seven tools: the goal compares a start that builds all of them
OURS = "ccc-mcp"
BARE = "bare"
OTEL_HIDDEN = "ccc-mcp, [otel] hidden"
HIDE_OTEL = BENCH_DIR / "hide_otel"


def variants(ctx: Context) -> dict[str, tuple[list[str], dict[str, str], str, dict[str, Any]]]:
    """name -> (argv, env, tool, arguments)."""
    found = {
        OURS: ([PYTHON, "-m", "ccc_mcp"], server_env(ctx.sim_endpoint), "unmute_call", UNMUTE_ARGUMENTS),
        BARE: ([PYTHON, str(BARE_SERVER)], child_env(), "noop", {}),
    }
    if otel_installed():
        env = server_env(ctx.sim_endpoint)
        env["PYTHONPATH"] = f"{HIDE_OTEL}{os.pathsep}{env['PYTHONPATH']}"
        found[OTEL_HIDDEN] = ([PYTHON, "-m", "ccc_mcp"], env, "unmute_call", UNMUTE_ARGUMENTS)
    return found


async def once(ctx: Context, name: str) -> tuple[float, float, float, int]:
    """Seconds from spawn to the tools/list response, the CPU seconds the server used until then (less
    sensitive than wall time to a busy machine), the seconds of the first tools/call, and how many tools
    were listed."""
    argv, env, tool, arguments = variants(ctx)[name]
    server = StdioServer(argv, env, ctx.log_dir / f"cold-{name}.log")
    try:
        await server.spawn(handshake(0) + TOOLS_LIST)
        listed = await server.read_response(1)
        to_list = time.perf_counter() - server.spawned_at
        cpu = cpu_seconds(server.pid)
        tools = len(listed["result"]["tools"])
        if not tools:
            raise RuntimeError(f"{name} listed no tools")
        started = time.perf_counter()
        result = await server.call_tool(tool, arguments)
        first_call = time.perf_counter() - started
        if result.get("isError"):
            raise RuntimeError(f"{name}: first {tool} failed: {result}")
    finally:
        await server.close()
    return to_list, cpu, first_call, tools


async def run(ctx: Context) -> dict[str, Any]:
    names = list(variants(ctx))
    if ctx.sizes.cold_warmup:
        for name in names:  # untimed: writes bytecode (as `pip install` does) and warms the page cache
            await once(ctx, name)
    to_list: dict[str, list[float]] = {name: [] for name in names}
    cpu: dict[str, list[float]] = {name: [] for name in names}
    first_call: dict[str, list[float]] = {name: [] for name in names}
    tools: dict[str, int] = {}
    for round_number in range(ctx.sizes.cold_rounds):
        ctx.progress(f"cold start: round {round_number + 1}/{ctx.sizes.cold_rounds}")
        for name in names:
            listed, used, called, tools[name] = await once(ctx, name)
            to_list[name].append(listed * 1000)
            cpu[name].append(used * 1000)
            first_call[name].append(called * 1000)
    ratio = paired_ratio(to_list[OURS], to_list[BARE])
    return {
        "description": "spawn -> first tools/list response over stdio (handshake written at spawn)",
        "rounds": ctx.sizes.cold_rounds,
        "otel_installed": OTEL_HIDDEN in names,
        "otel_endpoint": "unset",
        "variants": {
            name: {
                "tools_list_ms": summary(to_list[name]),
                "tools_list_cpu_ms": summary(cpu[name]),
                "first_call_ms": summary(first_call[name]),
                "tools_listed": tools.get(name),
            }
            for name in names
        },
        "ratio": ratio,
        "cpu_ratio": paired_ratio(cpu[OURS], cpu[BARE]),
        "otel_installed_vs_hidden": paired_ratio(to_list[OURS], to_list[OTEL_HIDDEN]) if OTEL_HIDDEN in names else None,
        "goal": {
            "max_ratio": GOAL,
            "tools": TOOLS,
            "met": ratio["median"] <= GOAL and tools.get(OURS) == TOOLS,
        },
        "runs": {"tools_list_ms": to_list, "tools_list_cpu_ms": cpu, "first_call_ms": first_call},
    }
