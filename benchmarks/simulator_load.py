"""(5) The simulator's own throughput: signed UnmuteCall requests straight to `ccc-mcp simulator`.

The requests are signed before each run (a fresh nonce each: the simulator rejects a replay, as CCC does)
and replayed raw by the same closed-loop callers as (3). The verdict compares the simulator's calls/s with
what ccc-mcp drew from it in (3), and reports the share of a core the simulator used during (3). Then the
same at floor size (`simulator_floor.py`): PollUserStatus and 100-row ListRealtimeAgentStates pages against
a simulator with a generated floor of 1,000 agents, the per-request times a fan-out's ideal is built from.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from benchmarks import simulator_floor
from benchmarks.common import (
    DEMO_INSTANCE,
    DEMO_USER,
    LOOPBACK,
    SIM_ACCESS_KEY_ID,
    SIM_ACCESS_KEY_SECRET,
    cpu_seconds,
    summary,
)
from benchmarks.context import Context
from benchmarks.loadgen import closed_loop

API_VERSION = "2020-07-01"
EXPECT = b"RequestId"
MIN_HEADROOM = 2.0  # "well above": at least twice what ccc-mcp drew from it at the same concurrency
REQUESTS_PER_SECOND_BOUND = 6000  # pre-signed per run second; a run stops early if the pool runs dry


def presigned(port: int, count: int) -> list[bytes]:
    """`count` UnmuteCall requests, each with its own nonce, dated now."""
    from ccc_mcp.api import signing

    key = signing.SigningKey(SIM_ACCESS_KEY_ID, SIM_ACCESS_KEY_SECRET)
    host = f"{LOOPBACK}:{port}"
    query = {"DeviceId": "ccc-mcp-server", "InstanceId": DEMO_INSTANCE, "UserId": DEMO_USER}
    target = f"POST /?{signing.canonical_query(query)} HTTP/1.1\r\n"
    date = signing.format_date(datetime.now(UTC))
    requests: list[bytes] = []
    for _ in range(count):
        headers = signing.signed_request_headers(
            key=key,
            host=host,
            action="UnmuteCall",
            version=API_VERSION,
            query=query,
            date=date,
            nonce=signing.new_nonce(),
        )
        lines = "".join(f"{name}: {value}\r\n" for name, value in headers.items())
        requests.append((target + lines + "accept: application/json\r\ncontent-length: 0\r\n\r\n").encode())
    return requests


def verdicts(table: dict[str, Any], http_results: dict[str, Any] | None) -> dict[str, Any]:
    """Per concurrency run by both sections: the simulator's calls/s against what ccc-mcp drew from it in (3),
    and the share of a core the simulator used during (3): the median over (3)'s runs of its CPU seconds
    over the run's seconds (per run, CPU ms per call x calls/s / 1000 is exactly that)."""
    verdict: dict[str, Any] = {}
    http_results = http_results or {}
    ours = http_results.get("variants", {}).get("ccc-mcp", {})
    runs = http_results.get("runs", {}).get("ccc-mcp", {})
    for c, row in table.items():
        if c not in ours:
            continue
        drawn = ours[c]["calls_per_s"]["median"]
        capacity = row["calls_per_s"]["median"]
        cores = [r["simulator_cpu_ms_per_call"] * r["calls_per_s"] / 1000 for r in runs.get(c, [])]
        verdict[c] = {
            "simulator_calls_per_s": capacity,
            "ccc_mcp_calls_per_s": drawn,
            "headroom": capacity / drawn if drawn else float("inf"),
            "simulator_core_share_during_http": summary(cores)["median"],
            "met": capacity >= MIN_HEADROOM * drawn,
        }
    return verdict


async def run(ctx: Context, http_results: dict[str, Any] | None = None) -> dict[str, Any]:
    sizes = ctx.sizes
    port = ctx.simulator.port
    assert port is not None
    runs: dict[int, list[dict[str, Any]]] = {c: [] for c in sizes.sim_concurrency}
    for round_number in range(sizes.sim_rounds):
        ctx.progress(f"simulator throughput: round {round_number + 1}/{sizes.sim_rounds}")
        for concurrency in sizes.sim_concurrency:
            pool = presigned(port, int(REQUESTS_PER_SECOND_BOUND * sizes.sim_seconds) + 10)
            pool.reverse()
            cpu = cpu_seconds(ctx.simulator.pid)
            result = await closed_loop(
                port, pool.pop, concurrency=concurrency, duration=sizes.sim_seconds, expect=EXPECT
            )
            cpu = cpu_seconds(ctx.simulator.pid) - cpu
            if result.errors:
                raise RuntimeError(f"simulator: {result.errors} calls failed, e.g. {result.first_error}")
            figures = result.figures()
            figures["simulator_cpu_ms_per_call"] = cpu / max(result.calls, 1) * 1000
            runs[concurrency].append(figures)
    table = {
        str(c): {
            metric: summary([r[metric] for r in runs[c]])
            for metric in ("calls_per_s", "p50_ms", "p99_ms", "max_ms", "simulator_cpu_ms_per_call")
        }
        for c in sizes.sim_concurrency
    }
    verdict = verdicts(table, http_results)
    return {
        "description": "pre-signed UnmuteCall requests replayed straight to the simulator process",
        "rounds": sizes.sim_rounds,
        "seconds_per_run": sizes.sim_seconds,
        "concurrency": list(sizes.sim_concurrency),
        "variants": {"simulator": table},
        "verdict": verdict,
        "goal": {"min_headroom": MIN_HEADROOM, "met": all(v["met"] for v in verdict.values()) if verdict else None},
        "runs": {str(c): v for c, v in runs.items()},
        "floor": await simulator_floor.run(ctx),
    }
