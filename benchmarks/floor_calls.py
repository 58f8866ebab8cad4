"""(7) `list_calls` over a floor: one tool call over stdio against `ccc-mcp simulator --floor N --admin`, its
wall time against the ideal of its in-flight bound, the CCC requests it sent, its answer's bytes, the RSS.

For each floor size, a simulator process of its own and a real `ccc-mcp` over stdio (the harness's client,
as every other stdio section) with `CCC_MCP_FANOUT` at its default of 8, `CCC_MCP_FANOUT_RATE` too high to
bind (the ideal is defined by the in-flight bound alone) and `CCC_MCP_FLOOR_MAX` at least N. Each round
first measures the simulator's own per-request time as `simulator_floor.py` does (pre-signed requests,
closed-loop callers, here 8 of them, as many as the fan-out keeps in flight): a PollUserStatus of an agent
on a call, and a ListRealtimeAgentStates page of 100 agents on a call, with the StateList the tool sends.
Then it times `list_calls({})` (the limit changes nothing: the scan is the same), and reads from the
simulator's admin API what reached it.

- ideal = list pages x page time + polls x poll time, each time 1000 / calls/s at 8 callers: by Little's
  law that is "CCC requests / in-flight bound x the per-request time with 8 in flight" (DESIGN.md §5). It
  leaves out what no fan-out can overlap (the first page, sent alone; the MCP exchange over stdio);
- CPU of the server and of the simulator per list_calls (all their threads, /proc schedstat): with a core
  each, wall can be no less than the larger, so server / simulator bounds wall / ideal from below however
  quiet the machine; on a busy one the two processes also queue for the cores, and wall grows towards the sum;
- requests per call: the simulator's counts, against one list page per 100 agents on a call plus one
  PollUserStatus per live call (its own head count, `GET /_admin/summary`), no call polled twice;
- answer bytes: the text of the default page (20 calls) and of `flags=["MUTED"]`; RSS after each round.

Then a throttled run (`floor_throttled.py`): PollUserStatus throttled above a rate, the server's own pace.
"""

from __future__ import annotations

import itertools
import json
import math
import statistics
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from benchmarks.common import (
    PYTHON,
    ServerProcess,
    paired_ratio,
    rss_bytes,
    server_env,
    sim_endpoint,
    simulator_process,
    summary,
    thread_cpu_seconds,
)
from benchmarks.context import Context
from benchmarks.loadgen import closed_loop
from benchmarks.simulator_floor import EXPECT, FLOOR_INSTANCE, PAGE_SIZE, POLL, Request, presigned, requests
from benchmarks.stdio_client import StdioServer

GOAL = 1.3  # wall / ideal (DESIGN.md §5)
FANOUT = 8  # CCC_MCP_FANOUT's default, set explicitly: the ideal divides by it
UNBOUND_RATE = 100_000  # CCC_MCP_FANOUT_RATE far above what 8 in flight can reach
ON_A_CALL = ("Talking", "Ringing", "Dialing")  # the StateList list_calls sends (tools/list_calls.py)
PAGE = "ListRealtimeAgentStates page, StateList of the states on a call"
REQUESTS_PER_SECOND_BOUND = {POLL: 6000, PAGE: 2500}  # pre-signed per run second
MIB = 1024 * 1024
RUN_FIGURES = ("wall_ms", "ideal_ms", "poll_ms", "page_ms", "server_cpu_ms", "simulator_cpu_ms", "rss_mib")


def page_requests(on_calls: int) -> Iterator[Request]:
    """The pages list_calls asks for, round and round: every page of the agents on a call, filtered alike."""
    body = urlencode({"StateList": json.dumps(list(ON_A_CALL))}).encode()
    pages = max(1, math.ceil(on_calls / PAGE_SIZE))
    return (
        ("ListRealtimeAgentStates",
         {"InstanceId": FLOOR_INSTANCE, "PageNumber": str(number), "PageSize": str(PAGE_SIZE)}, body)
        for number in itertools.cycle(range(1, pages + 1))
    )  # fmt: skip


def server_process(ctx: Context, sim: ServerProcess, floor: int, name: str, **extra: str) -> StdioServer:
    """`ccc-mcp` over stdio on the floor simulator, its default instance the floor."""
    floor_max = str(max(1000, floor))
    env = server_env(sim_endpoint(sim), CCC_INSTANCE_ID=FLOOR_INSTANCE, CCC_MCP_FLOOR_MAX=floor_max, **extra)
    return StdioServer([PYTHON, "-m", "ccc_mcp"], env, ctx.log_dir / f"{name}.log")


async def admin(sim: ServerProcess, method: str, path: str, body: Any = None) -> Any:
    """One request to the simulator's admin API (loopback, no proxy)."""
    import httpx

    async with httpx.AsyncClient(trust_env=False, timeout=10) as client:
        response = await client.request(method, f"{sim_endpoint(sim)}/_admin/{path}", json=body)
    response.raise_for_status()
    return response.json()


async def census(sim: ServerProcess) -> dict[str, Any]:
    """The floor's head count as the simulator keeps it: agents on a call and live calls."""
    return dict((await admin(sim, "GET", "summary"))[FLOOR_INSTANCE])


def answer_of(result: dict[str, Any], what: str) -> tuple[dict[str, Any], int]:
    """A successful list_calls' structured answer and the bytes of its text (what a model reads)."""
    out = result.get("structuredContent") or {}
    if result.get("isError") or not out.get("ok"):
        raise RuntimeError(f"list_calls ({what}) failed: {json.dumps(out)[:2000]}")
    return out, len(result["content"][0]["text"].encode())


def counted(stats: dict[str, Any]) -> dict[str, Any]:
    """What one list_calls sent, from the simulator's accounting."""
    actions = stats["actions"]
    by_job = stats["poll_user_status"]["by_job"]
    return {
        "pages": actions.get("ListRealtimeAgentStates", {}).get("received", 0),
        "polls": actions.get(POLL, {}).get("received", 0),
        "other": sum(a["received"] for name, a in actions.items() if name not in ("ListRealtimeAgentStates", POLL)),
        "jobs_polled_twice": sum(count > 1 for count in by_job.values()),
        "most_in_flight": max(stats["most_in_flight"].values(), default=0),
    }


async def per_request_ms(sim: ServerProcess, source: Iterator[Request], bound: int, seconds: float) -> float:
    """1000 / calls/s of one kind of request at FANOUT closed-loop callers (simulator_floor.py's method)."""
    assert sim.port is not None
    pool = presigned(sim.port, source, int(bound * seconds) + 10)
    result = await closed_loop(sim.port, pool, concurrency=FANOUT, duration=seconds, expect=EXPECT)
    if result.errors or not result.calls:
        raise RuntimeError(f"per-request time: {result.errors} requests failed, e.g. {result.first_error}")
    return 1000 / result.figures()["calls_per_s"]


@dataclass
class Floor:
    """One floor's processes, and what the simulator says is on it."""

    sim: ServerProcess
    server: StdioServer
    on_calls: int = 0
    live: int = 0


async def timed_call(floor: Floor) -> dict[str, Any]:
    """One list_calls({}): wall ms, each process's CPU ms (the admin requests around it left out), and the
    requests the simulator saw for it; a partial answer fails the run (its wall time would mean nothing)."""
    await admin(floor.sim, "DELETE", "requests")
    pids = (floor.server.pid, floor.sim.pid)
    cpu = [thread_cpu_seconds(pid) for pid in pids]
    started = time.perf_counter()
    result = await floor.server.call_tool("list_calls", {})
    wall_ms = (time.perf_counter() - started) * 1000
    server_cpu, sim_cpu = ((thread_cpu_seconds(pid) - before) * 1000 for pid, before in zip(pids, cpu, strict=True))
    out, _ = answer_of(result, "{}")
    if out.get("partial") or out.get("found") != floor.live:
        raise RuntimeError(f"a partial answer: {out.get('partial')!r}, {out.get('found')} of {floor.live} calls")
    sent = counted(await admin(floor.sim, "GET", "requests"))
    return {"wall_ms": wall_ms, "server_cpu_ms": server_cpu, "simulator_cpu_ms": sim_cpu, "sent": sent}


def calls_per_round(ctx: Context, floor: Floor) -> int:
    """`calls_per_round`, or more on a small floor: enough calls to send `calls_min_requests` requests."""
    per_call = math.ceil(floor.on_calls / PAGE_SIZE) + floor.live
    return max(ctx.sizes.calls_per_round, math.ceil(ctx.sizes.calls_min_requests / per_call))


async def one_round(ctx: Context, floor: Floor, agents: int) -> tuple[dict[str, float], list[dict[str, Any]]]:
    """The simulator's per-request times, then some list_calls: the round's figures (means over its calls) and
    the requests each call sent."""
    sizes = ctx.sizes
    seconds = sizes.calls_sim_seconds
    poll_ms = await per_request_ms(floor.sim, requests(POLL, agents), REQUESTS_PER_SECOND_BOUND[POLL], seconds)
    page_ms = await per_request_ms(floor.sim, page_requests(floor.on_calls), REQUESTS_PER_SECOND_BOUND[PAGE], seconds)
    calls = [await timed_call(floor) for _ in range(calls_per_round(ctx, floor))]
    sent = [call["sent"] for call in calls]
    figures = {
        name: statistics.fmean(call[name] for call in calls)
        for name in ("wall_ms", "server_cpu_ms", "simulator_cpu_ms")
    }
    figures |= {
        "poll_ms": poll_ms,
        "page_ms": page_ms,
        "ideal_ms": sent[-1]["pages"] * page_ms + sent[-1]["polls"] * poll_ms,
        "rss_mib": rss_bytes(floor.server.pid) / MIB,
    }
    return figures, sent


async def one_floor(ctx: Context, agents: int) -> dict[str, Any]:
    sizes = ctx.sizes
    sim = simulator_process(ctx.log_dir, floor=agents, admin=True).start()
    server = server_process(
        ctx, sim, agents, f"list-calls-{agents}", CCC_MCP_FANOUT=str(FANOUT), CCC_MCP_FANOUT_RATE=str(UNBOUND_RATE)
    )
    floor = Floor(sim, server)
    runs: dict[str, list[float]] = {name: [] for name in RUN_FIGURES}
    seen: list[dict[str, Any]] = []
    try:
        sim.wait_listening()
        head = await census(sim)
        floor.on_calls, floor.live = head["agents_on_calls"], head["calls"]
        await server.start()
        for _ in range(sizes.calls_warmup):
            await timed_call(floor)
        for round_number in range(sizes.calls_rounds):
            ctx.progress(f"list_calls, floor {agents}: round {round_number + 1}/{sizes.calls_rounds}")
            figures_of_round, sent = await one_round(ctx, floor, agents)
            for name, value in figures_of_round.items():
                runs[name].append(value)
            seen += sent
        _, default_bytes = answer_of(await server.call_tool("list_calls", {}), "default page")
        muted, muted_bytes = answer_of(await server.call_tool("list_calls", {"flags": ["MUTED"]}), "MUTED")
        if not sim.alive():
            raise RuntimeError(f"the floor simulator died:\n{sim.log_tail()}")
    finally:
        await server.close()
        sim.stop()
    result = figures(agents, head, runs, seen, default_bytes, muted, muted_bytes)
    return {**result, "calls_per_run": calls_per_round(ctx, floor)}


def figures(
    floor: int,
    head: dict[str, Any],
    runs: dict[str, list[float]],
    seen: list[dict[str, Any]],
    default_bytes: int,
    muted: dict[str, Any],
    muted_bytes: int,
) -> dict[str, Any]:
    pages = math.ceil(head["agents_on_calls"] / PAGE_SIZE)
    expected = {"pages": pages, "polls": head["calls"], "other": 0, "jobs_polled_twice": 0}
    exact = all({key: sent[key] for key in expected} == expected for sent in seen)
    ratio = paired_ratio(runs["wall_ms"], runs["ideal_ms"])
    cpu_ratio = paired_ratio(runs["server_cpu_ms"], runs["simulator_cpu_ms"])
    return {
        "agents": floor,
        "agents_on_calls": head["agents_on_calls"],
        "live_calls": head["calls"],
        "muted_agents": head["muted_agents"],
        "expected_requests": expected,
        "requests": {
            "per_call": sorted({sent["pages"] + sent["polls"] + sent["other"] for sent in seen}),
            "pages": sorted({sent["pages"] for sent in seen}),
            "polls": sorted({sent["polls"] for sent in seen}),
            "jobs_polled_twice": max(sent["jobs_polled_twice"] for sent in seen),
            "most_in_flight": max(sent["most_in_flight"] for sent in seen),
            "calls_counted": len(seen),
            "exact": exact,
        },
        **{name: summary(values) for name, values in runs.items()},
        "ratio": ratio,
        "server_vs_simulator_cpu": cpu_ratio,
        "answer_bytes": {"default": default_bytes, "muted": muted_bytes},
        "muted_calls": muted.get("matched"),
        "goal": {"max_ratio": GOAL, "met": ratio["median"] <= GOAL, "requests_exact": exact},
        "runs": runs,
    }


async def run(ctx: Context) -> dict[str, Any]:
    from benchmarks import floor_throttled  # it builds on this module's helpers

    floors = {str(floor): await one_floor(ctx, floor) for floor in ctx.sizes.calls_floors}
    throttled = await floor_throttled.run(ctx)
    return {
        "description": "one list_calls({}) over stdio against `ccc-mcp simulator --floor N`, "
        f"CCC_MCP_FANOUT={FANOUT}, CCC_MCP_FANOUT_RATE={UNBOUND_RATE:,} (not binding)",
        "rounds": ctx.sizes.calls_rounds,
        "calls_per_round": ctx.sizes.calls_per_round,
        "min_requests_per_round": ctx.sizes.calls_min_requests,
        "sim_seconds": ctx.sizes.calls_sim_seconds,
        "fanout": FANOUT,
        "floors": floors,
        "throttled": throttled,
        "goal": {
            "max_ratio": GOAL,
            "met": all(f["goal"]["met"] and f["goal"]["requests_exact"] for f in floors.values())
            and throttled["goal"]["met"],
        },
    }
