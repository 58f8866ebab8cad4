"""(3) Throughput over Streamable HTTP, and (6) the plain-httpx variant of our client.

Servers (each its own process, started once, warmed up): `ccc-mcp serve --transport http` against the
simulator process; the same with the plain-httpx client (`plain_httpx_server.py`); a bare no-op MCPServer
(stateless, JSON responses); and, at the goal's concurrency only, ccc-mcp with CCC_MCP_SDK_FAST_PATHS=off (a
reference row: what serving the SDK's public way costs). ccc-mcp runs with CCC_MCP_RATE_LIMIT=0 (all the
load comes from one client, which the per-client limit would otherwise throttle) and OTEL_SDK_DISABLED=true
(telemetry off, as without the [otel] extra; the fleet section measures its cost); everything else is at its
default: log level INFO (one line per call) and the audit log (one JSON line per call), both to stderr, a
file here.

The load is raw HTTP: a recorded `tools/call` POST replayed by `concurrency` closed-loop callers for
`http_seconds` (see `loadgen`). CPU per call is read from /proc for the server (with any worker processes
it has) and the simulator.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from benchmarks.common import (
    BARE_SERVER,
    FLOOR_SERVER,
    PLAIN_HTTPX_SERVER,
    PYTHON,
    UNMUTE_ARGUMENTS,
    ServerProcess,
    child_env,
    cpu_seconds,
    free_port,
    paired_ratio,
    server_env,
    summary,
    tree_cpu,
    tree_cpu_delta,
)
from benchmarks.context import Context
from benchmarks.loadgen import closed_loop, mcp_tools_call, mcp_tools_list, wait_ready

OURS = "ccc-mcp"
OFF = "ccc-mcp, SDK fast paths off"
PLAIN = "ccc-mcp, plain httpx"
BARE = "bare no-op"
FLOOR = "floor: SDK + one signed request"
GOAL_CONCURRENCY = 32
GOAL_THROUGHPUT_RATIO = 0.6
GOAL_P99_RATIO = 2.0  # ccc-mcp's p99 against the bare server's, run by run
GOAL_MAX_MS = 1000.0
# Telemetry off, as a server without the [otel] extra runs (this venv has it, for the fleet section, which
# measures what telemetry costs).
MEASUREMENT_ENV = {"CCC_MCP_RATE_LIMIT": "0", "OTEL_SDK_DISABLED": "true"}
# A reference row, not a goal: what CCC_MCP_SDK_FAST_PATHS=off costs (docs/architecture.md §4), at the goal's
# concurrency only.
OFF_ENV = {**MEASUREMENT_ENV, "CCC_MCP_SDK_FAST_PATHS": "off"}
EXPECT = b'"isError":false'
METRICS = ("calls_per_s", "p50_ms", "p99_ms", "max_ms", "server_cpu_ms_per_call", "loadgen_cpu_ms_per_call")


def _log(ctx: Context, name: str, port: int) -> Path:
    return ctx.log_dir / f"http-{re.sub(r'[^A-Za-z0-9]+', '_', name)}-{port}.log"


def ccc_mcp_http(ctx: Context, name: str, settings: dict[str, str]) -> ServerProcess:
    """`ccc-mcp serve --transport http` on a free port, with `settings` added to its environment."""
    port = free_port()
    argv = [PYTHON, "-m", "ccc_mcp", "serve", "--transport", "http", "--port", str(port)]
    return ServerProcess(name, argv, server_env(ctx.sim_endpoint, **settings), _log(ctx, name, port), port)


def http_server(ctx: Context, name: str) -> ServerProcess:
    if name == OURS:
        return ccc_mcp_http(ctx, name, MEASUREMENT_ENV)
    if name == OFF:
        return ccc_mcp_http(ctx, name, OFF_ENV)
    port = free_port()
    log = _log(ctx, name, port)
    if name == PLAIN:
        argv = [PYTHON, str(PLAIN_HTTPX_SERVER), "--transport", "http", "--port", str(port)]
        return ServerProcess(name, argv, server_env(ctx.sim_endpoint, **MEASUREMENT_ENV), log, port)
    if name == FLOOR:
        argv = [PYTHON, str(FLOOR_SERVER), "--http", str(port)]
        return ServerProcess(name, argv, server_env(ctx.sim_endpoint), log, port)
    argv = [PYTHON, str(BARE_SERVER), "--http", str(port)]
    return ServerProcess(name, argv, child_env(), log, port)


def tool_request(name: str, port: int) -> bytes:
    if name == BARE:
        return mcp_tools_call(port, "noop", {})
    return mcp_tools_call(port, "unmute_call", UNMUTE_ARGUMENTS)


async def start_servers(ctx: Context, names: list[str]) -> dict[str, ServerProcess]:
    return await launch([http_server(ctx, name) for name in names])


async def launch(processes: list[ServerProcess]) -> dict[str, ServerProcess]:
    """Start every server at once, then wait until each answers `tools/list`; on failure stop them all."""
    servers: dict[str, ServerProcess] = {}
    try:
        for process in processes:
            servers[process.name] = process.start()
        for server in servers.values():
            assert server.port is not None
            server.wait_listening()
            await wait_ready(server.port, mcp_tools_list(server.port))
    except BaseException:
        for server in servers.values():
            server.stop()
        raise
    return servers


async def warm_up(server: ServerProcess, calls: int) -> None:
    """`calls` untimed calls at 8 callers (ccc-mcp loads its HTTP stack on the first); any error fails."""
    assert server.port is not None
    request = tool_request(server.name, server.port)
    warm = await closed_loop(server.port, lambda: request, concurrency=8, max_calls=calls, expect=EXPECT)
    if warm.errors:
        raise RuntimeError(f"{server.name}: warm-up calls failed, e.g. {warm.first_error}\n{server.log_tail()}")


async def measure(ctx: Context, server: ServerProcess, concurrency: int, seconds: float) -> dict[str, Any]:
    """One run against one server: load figures plus server (summed over its process tree) and simulator CPU
    per call."""
    assert server.port is not None
    request = tool_request(server.name, server.port)
    server_before = tree_cpu(server.pid)
    sim_cpu = cpu_seconds(ctx.simulator.pid)
    result = await closed_loop(server.port, lambda: request, concurrency=concurrency, duration=seconds, expect=EXPECT)
    server_cpu = tree_cpu_delta(server_before, tree_cpu(server.pid))
    sim_cpu = cpu_seconds(ctx.simulator.pid) - sim_cpu
    if result.calls and result.errors == result.calls:
        raise RuntimeError(f"{server.name}: every call failed, e.g. {result.first_error}\n{server.log_tail()}")
    figures = result.figures()
    calls = max(result.calls, 1)
    figures["server_cpu_ms_per_call"] = server_cpu / calls * 1000
    figures["server_cpu_cores"] = server_cpu / result.elapsed if result.elapsed else 0.0
    figures["simulator_cpu_ms_per_call"] = sim_cpu / calls * 1000 if server.name != BARE else 0.0
    return figures


def _concurrencies(name: str, measured: tuple[int, ...]) -> list[int]:
    """Where a variant is measured: everywhere, but the fast-paths-off reference only at the goal's."""
    return [c for c in measured if name != OFF or c == GOAL_CONCURRENCY]


async def run(ctx: Context) -> dict[str, Any]:
    sizes = ctx.sizes
    names = [OURS, BARE, PLAIN, FLOOR]
    if GOAL_CONCURRENCY in sizes.http_concurrency:
        names.append(OFF)
    servers = await start_servers(ctx, names)
    runs: dict[str, dict[int, list[dict[str, Any]]]] = {
        name: {c: [] for c in _concurrencies(name, sizes.http_concurrency)} for name in names
    }
    try:
        for server in servers.values():
            await warm_up(server, sizes.http_warmup)
        for round_number in range(sizes.http_rounds):
            ctx.progress(f"HTTP throughput: round {round_number + 1}/{sizes.http_rounds}")
            for concurrency in sizes.http_concurrency:
                # Rotate who goes first, so no variant always follows the same one.
                order = names[round_number % len(names) :] + names[: round_number % len(names)]
                for name in order:
                    if concurrency in runs[name]:
                        result = await measure(ctx, servers[name], concurrency, sizes.http_seconds)
                        runs[name][concurrency].append(result)
    finally:
        for server in servers.values():
            server.stop()

    table: dict[str, dict[str, Any]] = {}
    for name in names:
        table[name] = {}
        for concurrency in runs[name]:
            series = runs[name][concurrency]
            row: dict[str, Any] = {metric: summary([r[metric] for r in series]) for metric in METRICS}
            row["simulator_cpu_ms_per_call"] = summary([r["simulator_cpu_ms_per_call"] for r in series])
            row["errors"] = sum(r["errors"] for r in series)
            row["calls"] = sum(r["calls"] for r in series)
            row["worst_ms"] = max(r["max_ms"] for r in series)
            table[name][str(concurrency)] = row

    def by_run(name: str, concurrency: int, metric: str = "calls_per_s") -> list[float]:
        return [r[metric] for r in runs[name][concurrency]]

    ratios = {
        str(c): {
            "ours_vs_bare": paired_ratio(by_run(OURS, c), by_run(BARE, c)),
            "plain_vs_bare": paired_ratio(by_run(PLAIN, c), by_run(BARE, c)),
            "ours_vs_plain": paired_ratio(by_run(OURS, c), by_run(PLAIN, c)),
            "floor_vs_bare": paired_ratio(by_run(FLOOR, c), by_run(BARE, c)),
            "ours_vs_floor": paired_ratio(by_run(OURS, c), by_run(FLOOR, c)),
            "cpu_ours_vs_floor": paired_ratio(
                by_run(OURS, c, "server_cpu_ms_per_call"), by_run(FLOOR, c, "server_cpu_ms_per_call")
            ),
            "p99_ours_vs_bare": paired_ratio(by_run(OURS, c, "p99_ms"), by_run(BARE, c, "p99_ms")),
        }
        for c in sizes.http_concurrency
    }
    if OFF in runs:
        ratios[str(GOAL_CONCURRENCY)] |= {
            "off_vs_bare": paired_ratio(by_run(OFF, GOAL_CONCURRENCY), by_run(BARE, GOAL_CONCURRENCY)),
            "p99_off_vs_bare": paired_ratio(
                by_run(OFF, GOAL_CONCURRENCY, "p99_ms"), by_run(BARE, GOAL_CONCURRENCY, "p99_ms")
            ),
            "off_vs_ours": paired_ratio(by_run(OFF, GOAL_CONCURRENCY), by_run(OURS, GOAL_CONCURRENCY)),
        }
    goals: dict[str, Any] = {}
    key = str(GOAL_CONCURRENCY)
    if key in table[OURS]:
        at_goal = table[OURS][key]
        p99_ratio = ratios[key]["p99_ours_vs_bare"]["median"]
        goals = {
            "concurrency": GOAL_CONCURRENCY,
            "throughput_ratio": {
                "value": ratios[key]["ours_vs_bare"]["median"],
                "min_ratio": GOAL_THROUGHPUT_RATIO,
                "met": ratios[key]["ours_vs_bare"]["median"] >= GOAL_THROUGHPUT_RATIO,
            },
            "p99_ratio": {"value": p99_ratio, "max_ratio": GOAL_P99_RATIO, "met": p99_ratio <= GOAL_P99_RATIO},
            "max_ms": {"value": at_goal["worst_ms"], "max": GOAL_MAX_MS, "met": at_goal["worst_ms"] <= GOAL_MAX_MS},
            "errors": {"value": at_goal["errors"], "met": at_goal["errors"] == 0},
        }
    return {
        "description": "closed-loop raw HTTP callers replaying a recorded tools/call; median over interleaved runs",
        "server_settings": {OURS: MEASUREMENT_ENV, OFF: OFF_ENV, PLAIN: MEASUREMENT_ENV, BARE: {}, FLOOR: {}},
        "rounds": sizes.http_rounds,
        "seconds_per_run": sizes.http_seconds,
        "concurrency": list(sizes.http_concurrency),
        "variants": table,
        "ratios": ratios,
        "goal": goals,
        "runs": {name: {str(c): v for c, v in per.items()} for name, per in runs.items()},
    }
