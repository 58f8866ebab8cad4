"""Fleet variants over Streamable HTTP (issue 14): what worker processes, a shared Redis rate limiter and
telemetry cost, each against the plain ccc-mcp HTTP server measured in the same rounds.

Every server is `ccc-mcp serve --transport http`, started once and warmed up; each round measures every
server at `fleet_concurrency` callers for `fleet_seconds`, in rotated order (as in (3)). The reference
("off") is the server of (3): one worker, rate limit 0, telemetry off. The variants, each by its
environment contract:
- `CCC_MCP_WORKERS=2` (against 1): server CPU is summed over the parent and its worker processes;
- the rate limiter with a limit that never throttles (`CCC_MCP_RATE_LIMIT` and `CCC_MCP_RATE_BURST`
  100000000), `CCC_MCP_RATE_LIMIT_STORAGE=memory://` and `redis://` on a private `redis-server`;
- telemetry on: `OTEL_EXPORTER_OTLP_ENDPOINT` at a loopback OTLP sink (needs the `[otel]` extra).
A variant that this tree (or this machine) cannot run is skipped with its reason, never a crash; a variant
that runs but shows no sign of the feature (no worker process, no Redis command, nothing exported) is
reported with that finding, so a figure never silently measures the plain server under another name.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Any

from benchmarks.common import ServerProcess, paired_ratio, process_tree, summary
from benchmarks.context import Context
from benchmarks.fleet_services import (
    otel_installed,
    redis_binary,
    redis_commands,
    redis_process,
    redis_url,
    sink_endpoint,
    sink_process,
    sink_stats,
)
from benchmarks.http_load import ccc_mcp_http, measure, warm_up
from benchmarks.loadgen import mcp_tools_list, wait_ready

OFF = "off (1 worker, rate limit 0, telemetry off)"
WORKERS = "workers 2"
MEMORY = "rate limiter memory://"
REDIS = "rate limiter redis://"
TELEMETRY = "telemetry on"

NEVER_THROTTLES = "100000000"
BASE = {"CCC_MCP_WORKERS": "1", "CCC_MCP_RATE_LIMIT": "0", "OTEL_SDK_DISABLED": "true"}  # telemetry off: no /metrics
LIMITED = {"CCC_MCP_RATE_LIMIT": NEVER_THROTTLES, "CCC_MCP_RATE_BURST": NEVER_THROTTLES}
METRICS = ("calls_per_s", "p99_ms", "server_cpu_ms_per_call")
WORKER_WAIT_SECONDS = 5.0


@dataclass
class Variant:
    name: str
    feature: str
    settings: dict[str, str]
    also_against: str | None = None  # a second reference besides OFF (redis:// against memory://)
    skipped: str | None = None  # why it was not measured
    finding: str | None = None  # measured, but the feature showed no sign of working
    evidence: dict[str, Any] = field(default_factory=dict)
    server: ServerProcess | None = None


@dataclass
class Services:
    redis: ServerProcess | None = None
    sink: ServerProcess | None = None

    def stop(self) -> None:
        for process in (self.redis, self.sink):
            if process is not None:
                process.stop()


def plan(ctx: Context, services: Services) -> list[Variant]:
    """The variants, with the services they need started (or the reason they are skipped)."""
    workers = Variant(WORKERS, "workers", {"CCC_MCP_WORKERS": "2"})
    memory = Variant(MEMORY, "rate limiter", {**LIMITED, "CCC_MCP_RATE_LIMIT_STORAGE": "memory://"})
    redis = Variant(REDIS, "rate limiter", dict(LIMITED), also_against=MEMORY)
    telemetry = Variant(TELEMETRY, "telemetry", {})
    if redis_binary() is None:
        redis.skipped = "redis-server is not installed on this machine (not on PATH)"
    else:
        services.redis = redis_process(ctx.log_dir).start()
        services.redis.wait_listening()
        redis.settings["CCC_MCP_RATE_LIMIT_STORAGE"] = redis_url(services.redis)
    if not otel_installed():
        telemetry.skipped = "the [otel] extra is not installed (opentelemetry-sdk is not importable)"
    else:
        services.sink = sink_process(ctx.log_dir).start()
        services.sink.wait_listening()
        telemetry.settings["OTEL_EXPORTER_OTLP_ENDPOINT"] = sink_endpoint(services.sink)
        telemetry.settings["OTEL_SDK_DISABLED"] = "false"
    return [workers, memory, redis, telemetry]


async def _start_all(ctx: Context, variants: list[Variant]) -> ServerProcess:
    """Start the reference and every variant's server at once, then wait for each. The reference must come
    up; a variant's server that does not skips its variant with its last log lines (a tree may refuse a
    setting it does not know)."""
    reference = ccc_mcp_http(ctx, OFF, BASE).start()
    started = []
    try:
        for variant in variants:
            if variant.skipped is None:
                variant.server = ccc_mcp_http(ctx, variant.name, {**BASE, **variant.settings}).start()
                started.append(variant)
        await _ready(reference)
    except BaseException:
        reference.stop()
        raise
    for variant in started:
        assert variant.server is not None
        try:
            await _ready(variant.server)
        except (RuntimeError, TimeoutError) as exc:
            last = " / ".join(variant.server.log_tail(3).splitlines()) or str(exc).splitlines()[0]
            variant.skipped = f"the server did not start with {variant.settings}: {last}"
            variant.server.stop()
    return reference


async def _ready(server: ServerProcess) -> None:
    assert server.port is not None
    server.wait_listening()
    await wait_ready(server.port, mcp_tools_list(server.port))


async def _worker_processes(server: ServerProcess) -> int:
    """How many processes the server runs besides its own. It already answered, so a worker that answers
    exists unless it serves in-process (no workers at all); the second worker gets a few seconds more."""
    deadline = asyncio.get_running_loop().time() + WORKER_WAIT_SECONDS
    while True:
        others = len(process_tree(server.pid)) - 1
        if others == 0 or others >= 2 or asyncio.get_running_loop().time() >= deadline:
            return others
        await asyncio.sleep(0.1)


async def _prove(variant: Variant, services: Services, warmup: int) -> None:
    """Warm the variant up and check the feature is at work; without a sign of it, skip (workers, Redis)."""
    server = variant.server
    assert server is not None
    if variant.name == WORKERS:
        variant.evidence["worker_processes"] = await _worker_processes(server)
        if not variant.evidence["worker_processes"]:
            variant.skipped = "CCC_MCP_WORKERS=2 started no worker process: this tree does not support it"
            return
    before = await redis_commands(services.redis) if variant.name == REDIS and services.redis else 0
    await warm_up(server, warmup)
    if variant.name == REDIS and services.redis is not None:
        used = await redis_commands(services.redis) - before - 1  # less the INFO that read `before`
        variant.evidence["redis_commands_during_warmup"] = used
        if used <= 0:
            variant.skipped = "the server sent no command to Redis: this tree ignores CCC_MCP_RATE_LIMIT_STORAGE"


async def _prepare(ctx: Context, variants: list[Variant], services: Services) -> ServerProcess:
    """Start the servers, warm up the reference, prove and warm up every variant (a skipped variant's server
    is stopped at once); the reference's server."""
    reference = await _start_all(ctx, variants)
    await warm_up(reference, ctx.sizes.fleet_warmup)
    for variant in variants:
        if variant.server is not None and variant.skipped is None:
            await _prove(variant, services, ctx.sizes.fleet_warmup)
        if variant.skipped is not None and variant.server is not None:
            variant.server.stop()
        ctx.progress(f"fleet: {variant.name}: {variant.skipped or 'ready'}")
    return reference


async def _measure_round(
    ctx: Context, servers: list[tuple[str, ServerProcess]], round_number: int, services: Services
) -> dict[str, dict[str, Any]]:
    shift = round_number % len(servers)
    figures: dict[str, dict[str, Any]] = {}
    for name, server in servers[shift:] + servers[:shift]:
        redis = services.redis if name == REDIS else None
        before = await redis_commands(redis) if redis is not None else 0
        figures[name] = await measure(ctx, server, ctx.sizes.fleet_concurrency, ctx.sizes.fleet_seconds)
        if redis is not None:
            figures[name]["redis_commands_per_call"] = (await redis_commands(redis) - before - 1) / max(
                figures[name]["calls"], 1
            )
    return figures


def _ratios(runs: dict[str, list[dict[str, Any]]], name: str, against: str) -> dict[str, Any]:
    return {
        metric: paired_ratio([r[metric] for r in runs[name]], [r[metric] for r in runs[against]]) for metric in METRICS
    }


def _row(variant: Variant | None, runs: dict[str, list[dict[str, Any]]], name: str) -> dict[str, Any]:
    series = runs.get(name, [])
    row: dict[str, Any] = {
        "feature": variant.feature if variant else "reference",
        "settings": {**BASE, **variant.settings} if variant else dict(BASE),
        "status": "skipped" if variant and variant.skipped else "measured",
    }
    if variant is not None:
        row |= {"reason": variant.skipped, "finding": variant.finding, "evidence": variant.evidence}
    if not series:
        return row
    row["figures"] = {metric: summary([r[metric] for r in series]) for metric in METRICS}
    row["errors"] = sum(r["errors"] for r in series)
    row["calls"] = sum(r["calls"] for r in series)
    row["worst_ms"] = max(r["max_ms"] for r in series)
    if variant is not None:
        row["ratios"] = {f"vs {OFF}": _ratios(runs, name, OFF)}
        if variant.also_against and variant.also_against in runs:
            row["ratios"][f"vs {variant.also_against}"] = _ratios(runs, name, variant.also_against)
    return row


async def run(ctx: Context) -> dict[str, Any]:
    sizes = ctx.sizes
    services = Services()
    reference: ServerProcess | None = None
    variants: list[Variant] = []
    try:
        try:
            variants = plan(ctx, services)
            reference = await _prepare(ctx, variants, services)
            measured = [(OFF, reference)] + [(v.name, v.server) for v in variants if v.server and not v.skipped]
            runs: dict[str, list[dict[str, Any]]] = {name: [] for name, _ in measured}
            for round_number in range(sizes.fleet_rounds):
                ctx.progress(f"fleet: round {round_number + 1}/{sizes.fleet_rounds}")
                for name, figures in (await _measure_round(ctx, measured, round_number, services)).items():
                    runs[name].append(figures)
        finally:
            for server in [reference, *(v.server for v in variants)]:
                if server is not None:
                    server.stop()
        await _telemetry_evidence(variants, services)
    finally:
        services.stop()
    return {
        "description": f"closed-loop raw HTTP callers at {sizes.fleet_concurrency}; each variant against the plain "
        "server measured in the same rounds",
        "concurrency": sizes.fleet_concurrency,
        "rounds": sizes.fleet_rounds,
        "seconds_per_run": sizes.fleet_seconds,
        "reference": OFF,
        "variants": {OFF: _row(None, runs, OFF)} | {v.name: _row(v, runs, v.name) for v in variants},
        "goal": None,
        "runs": runs,
    }


async def _telemetry_evidence(variants: list[Variant], services: Services) -> None:
    """After the servers stopped (a clean stop flushes the exporters): what the sink received."""
    telemetry = next((v for v in variants if v.name == TELEMETRY and v.server is not None), None)
    if telemetry is None or services.sink is None or not services.sink.alive():
        return
    stats = await sink_stats(services.sink)
    telemetry.evidence["otlp_received"] = stats
    if not any(counts.get("bytes") for counts in stats.values()):
        telemetry.finding = "nothing reached the OTLP sink: this tree does not export telemetry"
