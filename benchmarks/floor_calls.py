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
  law that is "CCC requests / in-flight bound x the per-request time with 8 in flight" (DESIGN.md §5);
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
from typing import Any
from urllib.parse import urlencode

from benchmarks.common import (
    PYTHON,
    ServerProcess,
    cpu_seconds,
    paired_ratio,
    rss_bytes,
    server_env,
    simulator_process,
    summary,
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
    env = server_env(
        f"http://127.0.0.1:{sim.port}", CCC_INSTANCE_ID=FLOOR_INSTANCE, CCC_MCP_FLOOR_MAX=str(max(1000, floor)), **extra
    )
    return StdioServer([PYTHON, "-m", "ccc_mcp"], env, ctx.log_dir / f"{name}.log")


async def admin(sim: ServerProcess, method: str, path: str, body: Any = None) -> Any:
    """One request to the simulator's admin API (loopback, no proxy)."""
    import httpx

    async with httpx.AsyncClient(trust_env=False, timeout=10) as client:
        response = await client.request(method, f"http://127.0.0.1:{sim.port}/_admin/{path}", json=body)
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


async def timed_call(server: StdioServer, sim: ServerProcess) -> tuple[float, dict[str, Any], dict[str, Any]]:
    """One list_calls({}): wall ms, its answer, and the requests the simulator saw for it."""
    await admin(sim, "DELETE", "requests")
    started = time.perf_counter()
    result = await server.call_tool("list_calls", {})
    wall_ms = (time.perf_counter() - started) * 1000
    out, _ = answer_of(result, "{}")
    return wall_ms, out, counted(await admin(sim, "GET", "requests"))


async def one_floor(ctx: Context, floor: int) -> dict[str, Any]:
    sizes = ctx.sizes
    sim = simulator_process(ctx.log_dir, floor=floor, admin=True).start()
    server = server_process(
        ctx, sim, floor, f"list-calls-{floor}", CCC_MCP_FANOUT=str(FANOUT), CCC_MCP_FANOUT_RATE=str(UNBOUND_RATE)
    )
    runs: dict[str, list[float]] = {name: [] for name in RUN_FIGURES}
    seen: list[dict[str, Any]] = []
    try:
        sim.wait_listening()
        head = await census(sim)
        on_calls, live = head["agents_on_calls"], head["calls"]
        await server.start()
        for _ in range(sizes.calls_warmup):
            await timed_call(server, sim)
        for round_number in range(sizes.calls_rounds):
            ctx.progress(f"list_calls, floor {floor}: round {round_number + 1}/{sizes.calls_rounds}")
            poll_ms = await per_request_ms(
                sim, requests(POLL, floor), REQUESTS_PER_SECOND_BOUND[POLL], sizes.calls_sim_seconds
            )
            page_ms = await per_request_ms(
                sim, page_requests(on_calls), REQUESTS_PER_SECOND_BOUND[PAGE], sizes.calls_sim_seconds
            )
            walls = []
            cpu = cpu_seconds(server.pid), cpu_seconds(sim.pid)
            for _ in range(sizes.calls_per_round):
                wall_ms, out, sent = await timed_call(server, sim)
                if out.get("partial") or out.get("found") != live:
                    raise RuntimeError(f"floor {floor}: a partial answer: {out.get('partial')!r}, {out.get('found')}")
                walls.append(wall_ms)
                seen.append(sent)
            server_cpu, sim_cpu = (
                cpu_seconds(pid) - before for pid, before in zip((server.pid, sim.pid), cpu, strict=True)
            )
            pages, polls = seen[-1]["pages"], seen[-1]["polls"]
            runs["poll_ms"].append(poll_ms)
            runs["page_ms"].append(page_ms)
            runs["wall_ms"].append(statistics.fmean(walls))
            runs["ideal_ms"].append(pages * page_ms + polls * poll_ms)
            runs["server_cpu_ms"].append(server_cpu * 1000 / sizes.calls_per_round)
            runs["simulator_cpu_ms"].append(sim_cpu * 1000 / sizes.calls_per_round)
            runs["rss_mib"].append(rss_bytes(server.pid) / MIB)
        _, default_bytes = answer_of(await server.call_tool("list_calls", {}), "default page")
        muted, muted_bytes = answer_of(await server.call_tool("list_calls", {"flags": ["MUTED"]}), "MUTED")
        if not sim.alive():
            raise RuntimeError(f"the floor simulator died:\n{sim.log_tail()}")
    finally:
        await server.close()
        sim.stop()
    return figures(floor, head, runs, seen, default_bytes, muted, muted_bytes)


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
