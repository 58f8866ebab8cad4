"""(5, floor) The simulator at floor size: what one request costs against `ccc-mcp simulator --floor N`.

A fan-out over a floor (`list_calls`) sends one ListRealtimeAgentStates page per 100 agents and one
PollUserStatus per live call, so its ideal wall time is built from these two figures: the per-request time
of a PollUserStatus for an agent on a call, and of a 100-row page (unfiltered, and with the `StateList`
filter in the form body, as the official SDK sends it). Each is measured alone, by the same closed-loop
callers as (5), against a simulator process of its own started with `--floor` (request log off); requests
are signed before each run, each with its own nonce.
"""

from __future__ import annotations

import hashlib
import itertools
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import Any

from benchmarks.common import (
    LOOPBACK,
    SIM_ACCESS_KEY_ID,
    SIM_ACCESS_KEY_SECRET,
    cpu_seconds,
    simulator_process,
    summary,
)
from benchmarks.context import Context
from benchmarks.loadgen import closed_loop

API_VERSION = "2020-07-01"
FLOOR_INSTANCE = "ccc-floor"
PAGE_SIZE = 100
EXPECT = b'"Code":"OK"'
FORM = "application/x-www-form-urlencoded"
POLL = "PollUserStatus"
PAGE = f"ListRealtimeAgentStates, {PAGE_SIZE} rows"
PAGE_TALKING = f"ListRealtimeAgentStates, {PAGE_SIZE} rows, StateList [Talking]"
VARIANTS = (POLL, PAGE, PAGE_TALKING)
REQUESTS_PER_SECOND_BOUND = {POLL: 6000, PAGE: 2000, PAGE_TALKING: 2000}  # pre-signed per run second

Request = tuple[str, dict[str, str], bytes]  # action, query, form body


def floor_agents(agents: int) -> list[tuple[str, str, bool]]:
    """(user id, state, on a call) of each agent of the floor, as the simulator generates it (seed 0)."""
    from ccc_mcp.simulator.demo_cast import default_scenario, with_floor
    from ccc_mcp.simulator.scenario import build_state

    instance = build_state(with_floor(default_scenario(), agents)).instances[FLOOR_INSTANCE]
    return [(a.user_id, a.state, a.job_id is not None) for a in instance.agents.values()]


def requests(variant: str, agents: int) -> Iterator[Request]:
    """The variant's requests, round and round: every agent on a call, or every full page of the floor."""
    floor = floor_agents(agents)
    if variant == POLL:
        users = [user for user, _, on_call in floor if on_call]
        return ((POLL, {"InstanceId": FLOOR_INSTANCE, "UserId": user}, b"") for user in itertools.cycle(users))
    rows = sum(state == "TALKING" for _, state, _ in floor) if variant == PAGE_TALKING else len(floor)
    pages = max(1, rows // PAGE_SIZE)
    body = b"StateList=%5B%22Talking%22%5D" if variant == PAGE_TALKING else b""
    return (
        ("ListRealtimeAgentStates",
         {"InstanceId": FLOOR_INSTANCE, "PageNumber": str(number), "PageSize": str(PAGE_SIZE)}, body)
        for number in itertools.cycle(range(1, pages + 1))
    )  # fmt: skip


def signed_bytes(port: int, request: Request, date: str) -> bytes:
    """One request on the wire, signed as the official SDK signs it (a form body's hash and content type)."""
    from ccc_mcp.api import signing

    action, query, body = request
    key = signing.SigningKey(SIM_ACCESS_KEY_ID, SIM_ACCESS_KEY_SECRET)
    extra = {"content-type": FORM} if body else None
    headers = signing.signed_request_headers(
        key=key, host=f"{LOOPBACK}:{port}", action=action, version=API_VERSION, query=query, date=date,
        nonce=signing.new_nonce(), extra_signed=extra, body_sha256=hashlib.sha256(body).hexdigest(),
    )  # fmt: skip
    lines = "".join(f"{name}: {value}\r\n" for name, value in headers.items())
    head = f"POST /?{signing.canonical_query(query)} HTTP/1.1\r\n{lines}accept: application/json\r\n"
    return (head + f"content-length: {len(body)}\r\n\r\n").encode() + body


def presigned(port: int, source: Iterator[Request], count: int) -> Callable[[], bytes]:
    """`count` requests from `source`, signed now; handed out in order (IndexError when used up)."""
    from ccc_mcp.api import signing

    date = signing.format_date(datetime.now(UTC))
    pool = [signed_bytes(port, request, date) for request in itertools.islice(source, count)]
    pool.reverse()
    return pool.pop


async def run(ctx: Context) -> dict[str, Any]:
    sizes = ctx.sizes
    sim = simulator_process(ctx.log_dir, floor=sizes.floor_agents).start()
    runs: dict[str, dict[int, list[dict[str, Any]]]] = {v: {c: [] for c in sizes.floor_concurrency} for v in VARIANTS}
    try:
        sim.wait_listening()
        assert sim.port is not None
        for round_number in range(sizes.sim_rounds):
            ctx.progress(f"simulator at floor {sizes.floor_agents}: round {round_number + 1}/{sizes.sim_rounds}")
            for variant in VARIANTS:
                for concurrency in sizes.floor_concurrency:
                    count = int(REQUESTS_PER_SECOND_BOUND[variant] * sizes.sim_seconds) + 10
                    pool = presigned(sim.port, requests(variant, sizes.floor_agents), count)
                    cpu = cpu_seconds(sim.pid)
                    result = await closed_loop(
                        sim.port, pool, concurrency=concurrency, duration=sizes.sim_seconds, expect=EXPECT
                    )
                    cpu = cpu_seconds(sim.pid) - cpu
                    if result.errors:
                        raise RuntimeError(f"{variant}: {result.errors} requests failed, e.g. {result.first_error}")
                    figures = result.figures()
                    figures["per_request_ms"] = 1000 / figures["calls_per_s"] if figures["calls_per_s"] else None
                    figures["simulator_cpu_ms_per_call"] = cpu / max(result.calls, 1) * 1000
                    runs[variant][concurrency].append(figures)
        if not sim.alive():
            raise RuntimeError(f"the floor simulator died during the run:\n{sim.log_tail()}")
    finally:
        sim.stop()
    metrics = ("calls_per_s", "per_request_ms", "p50_ms", "p99_ms", "simulator_cpu_ms_per_call")
    table = {
        variant: {str(c): {m: summary([r[m] for r in per[c]]) for m in metrics} for c in sizes.floor_concurrency}
        for variant, per in runs.items()
    }
    one = str(sizes.floor_concurrency[0])
    return {
        "description": f"pre-signed requests replayed straight to `ccc-mcp simulator --floor {sizes.floor_agents}`",
        "agents": sizes.floor_agents,
        "page_size": PAGE_SIZE,
        "concurrency": list(sizes.floor_concurrency),
        "variants": table,
        "per_request_ms": {variant: table[variant][one]["per_request_ms"]["median"] for variant in VARIANTS},
        "runs": {variant: {str(c): v for c, v in per.items()} for variant, per in runs.items()},
    }
