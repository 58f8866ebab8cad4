"""(7, throttled) `list_calls` while CCC throttles: PollUserStatus refused above a rate by a simulator fault
rule, the server at its own default pace, in-flight bound, deadline and attempts.

Each round is a fresh `ccc-mcp` (the pacer's slowdown is per process, so no round inherits another's)
against one `ccc-mcp simulator --floor N --admin`, whose rule (`throttle`, `rate` a second with a bucket of
`burst`) is posted afresh, full bucket, before the timed call. What is reported: the wall time against the
deadline, whether the answer was partial and why, the PollUserStatus requests the simulator received,
refused and answered, and the most polls one agent received against the bound the fan-out documents (at
most CCC_MAX_ATTEMPTS per agent: a refused read is tried again at the shared pace, never in a tight loop).
For scale: the time the rule's rate alone needs for one poll per live call, and the time the server's pace
(CCC_MCP_FANOUT_RATE) needs for every request.
"""

from __future__ import annotations

import math
import time
from typing import Any

from benchmarks import floor_calls
from benchmarks.common import simulator_process, summary
from benchmarks.context import Context
from benchmarks.simulator_floor import POLL

BURST = 8  # the rule's bucket: one in-flight bound's worth, so the pace, not a full bucket, meets the rate
THROTTLED = "fault:throttle"


def _settings() -> dict[str, Any]:
    """The server's defaults this run relies on (nothing is set: the defaults are what is measured)."""
    from ccc_mcp.config.settings import Settings

    fields = Settings.model_fields
    return {name: fields[name].default for name in ("fanout", "fanout_rate", "deadline", "max_attempts", "floor_max")}


def rule(ctx: Context) -> dict[str, Any]:
    """The fault rule: PollUserStatus beyond `calls_throttle_rate` a second refused with Throttling.User."""
    return {"kind": "throttle", "action": POLL, "rate": ctx.sizes.calls_throttle_rate, "burst": BURST}


async def _round(ctx: Context, sim: Any, floor: int, number: int) -> dict[str, Any]:
    server = floor_calls.server_process(ctx, sim, floor, f"list-calls-throttled-{number}")
    try:
        await server.start()
        await server.call_tool("get_agent_status", {"user_id": f"agent00001@{floor_calls.FLOOR_INSTANCE}"})
        await floor_calls.admin(sim, "DELETE", "faults")
        await floor_calls.admin(sim, "POST", "faults", rule(ctx))
        await floor_calls.admin(sim, "DELETE", "requests")
        started = time.perf_counter()
        result = await server.call_tool("list_calls", {})
        wall_ms = (time.perf_counter() - started) * 1000
        stats = await floor_calls.admin(sim, "GET", "requests")
    finally:
        await server.close()
        await floor_calls.admin(sim, "DELETE", "faults")
    out = result.get("structuredContent") or {}
    polls = stats["actions"].get(POLL, {})
    by_user = stats["poll_user_status"]["by_user"]
    return {
        "wall_ms": wall_ms,
        "ok": bool(out.get("ok")),
        "partial": out.get("partial"),
        "found": out.get("found", 0),
        "unread": len(out.get("unread") or {}),
        "polls_sent": polls.get("received", 0),
        "polls_refused": polls.get("outcomes", {}).get(THROTTLED, 0),
        "polls_answered": polls.get("outcomes", {}).get("OK", 0),
        "pages": stats["actions"].get("ListRealtimeAgentStates", {}).get("received", 0),
        "most_polls_per_agent": max(by_user.values(), default=0),
    }


async def run(ctx: Context) -> dict[str, Any]:
    floor = ctx.sizes.calls_throttled_floor
    defaults = _settings()
    sim = simulator_process(ctx.log_dir, floor=floor, admin=True).start()
    rounds: list[dict[str, Any]] = []
    try:
        sim.wait_listening()
        head = await floor_calls.census(sim)
        for number in range(ctx.sizes.calls_throttled_rounds):
            ctx.progress(f"list_calls throttled, floor {floor}: round {number + 1}/{ctx.sizes.calls_throttled_rounds}")
            rounds.append(await _round(ctx, sim, floor, number))
        if not sim.alive():
            raise RuntimeError(f"the floor simulator died:\n{sim.log_tail()}")
    finally:
        sim.stop()
    return verdict(floor, head, defaults, rule(ctx), rounds)


def verdict(
    floor: int, head: dict[str, Any], defaults: dict[str, Any], throttle: dict[str, Any], rounds: list[dict[str, Any]]
) -> dict[str, Any]:
    """The rounds' figures against the deadline and the fan-out's bound on polls."""
    on_calls, live = head["agents_on_calls"], head["calls"]
    bound = on_calls * defaults["max_attempts"]
    deadline_ms = defaults["deadline"] * 1000
    numeric = ("wall_ms", "found", "unread", "polls_sent", "polls_refused", "polls_answered", "most_polls_per_agent")
    table = {name: summary([r[name] for r in rounds]) for name in numeric}
    table["refused_per_sent"] = summary([r["polls_refused"] / r["polls_sent"] for r in rounds if r["polls_sent"]])
    inside = all(r["wall_ms"] <= deadline_ms and r["ok"] for r in rounds)
    bounded = all(r["polls_sent"] <= bound and r["most_polls_per_agent"] <= defaults["max_attempts"] for r in rounds)
    return {
        "agents": floor,
        "agents_on_calls": on_calls,
        "live_calls": live,
        "rule": throttle,
        "server_defaults": defaults,
        "poll_bound": bound,
        "rule_rate_ms": max(0.0, live - throttle["burst"]) / throttle["rate"] * 1000,
        "pace_ms": (live + math.ceil(on_calls / floor_calls.PAGE_SIZE)) / defaults["fanout_rate"] * 1000,
        "partial": [r["partial"] for r in rounds],
        **table,
        "goal": {
            "deadline_ms": deadline_ms,
            "inside_deadline": inside,
            "within_bound": bounded,
            "met": inside and bounded,
        },
        "runs": rounds,
    }
