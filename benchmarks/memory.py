"""(4) Memory: RSS of a fresh HTTP server process, idle and after `memory_calls` calls, against the bare
server; runs alternate (ccc-mcp, bare, ccc-mcp, bare, ...), each on a fresh process.

- idle: listening, one `tools/list` answered, no tool call yet;
- warm: after `memory_warmup` calls (ccc-mcp loads its HTTP stack on the first call);
- after: after `memory_calls` more calls at `memory_concurrency` callers.
Growth is after - warm (what a long run adds); after - idle is reported too.
"""

from __future__ import annotations

import asyncio
from typing import Any

from benchmarks.common import paired_ratio, rss_bytes, summary
from benchmarks.context import Context
from benchmarks.http_load import BARE, EXPECT, OURS, start_servers, tool_request
from benchmarks.loadgen import closed_loop

GOAL_IDLE_RATIO = 1.15
GOAL_GROWTH_MIB = 2.0
MIB = 1024 * 1024
SETTLE_SECONDS = 0.5


async def once(ctx: Context, name: str) -> dict[str, float]:
    sizes = ctx.sizes
    server = (await start_servers(ctx, [name]))[name]
    try:
        assert server.port is not None
        request = tool_request(name, server.port)
        await asyncio.sleep(SETTLE_SECONDS)
        idle = warm = rss_bytes(server.pid)
        for calls, label in ((sizes.memory_warmup, "warm-up"), (sizes.memory_calls, "measured")):
            result = await closed_loop(
                server.port, lambda: request, concurrency=sizes.memory_concurrency, max_calls=calls, expect=EXPECT
            )
            if result.errors:
                raise RuntimeError(f"{name}: {result.errors} {label} calls failed, e.g. {result.first_error}")
            await asyncio.sleep(SETTLE_SECONDS)
            if label == "warm-up":
                warm = rss_bytes(server.pid)
        after = rss_bytes(server.pid)
    finally:
        server.stop()
    return {
        "idle_mib": idle / MIB,
        "warm_mib": warm / MIB,
        "after_mib": after / MIB,
        "growth_mib": (after - warm) / MIB,
        "growth_from_idle_mib": (after - idle) / MIB,
    }


async def run(ctx: Context) -> dict[str, Any]:
    names = [OURS, BARE]
    runs: dict[str, list[dict[str, float]]] = {name: [] for name in names}
    for round_number in range(ctx.sizes.memory_rounds):
        ctx.progress(f"memory: round {round_number + 1}/{ctx.sizes.memory_rounds}")
        for name in names:
            runs[name].append(await once(ctx, name))
    keys = ("idle_mib", "warm_mib", "after_mib", "growth_mib", "growth_from_idle_mib")
    table = {name: {key: summary([r[key] for r in runs[name]]) for key in keys} for name in names}
    idle_ratio = paired_ratio([r["idle_mib"] for r in runs[OURS]], [r["idle_mib"] for r in runs[BARE]])
    growth = table[OURS]["growth_mib"]["median"]
    return {
        "description": "RSS (VmRSS) of a fresh HTTP server process; growth = after - warm",
        "rounds": ctx.sizes.memory_rounds,
        "calls": ctx.sizes.memory_calls,
        "warmup_calls": ctx.sizes.memory_warmup,
        "concurrency": ctx.sizes.memory_concurrency,
        "variants": table,
        "idle_ratio": idle_ratio,
        "goal": {
            "idle_ratio": {
                "value": idle_ratio["median"],
                "max": GOAL_IDLE_RATIO,
                "met": idle_ratio["median"] <= GOAL_IDLE_RATIO,
            },
            "growth_mib": {"value": growth, "max": GOAL_GROWTH_MIB, "met": growth <= GOAL_GROWTH_MIB},
        },
        "runs": runs,
    }
