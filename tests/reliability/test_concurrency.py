"""200 concurrent calls of all seven tools over HTTP, with faults mixed in: every one answered, correctly and
conforming to its own tool's published outputSchema.

The server signs with the STS credential here, so the canary security token travels on every request and
every retry. The mix is deterministic: list, look, unmute, mute, hold and retrieve in turn. Mute, hold and
retrieve leave the call to the server to find (two requests each); mute and unmute act on the same agent and
hold repeats on one call, which CCC answers OK whatever the order; each retrieve takes back its own held
party, so every answer but a fault's is OK.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import AsyncIterator, Callable
from typing import Any

import jsonschema
import pytest

from ccc_mcp.simulator import Simulator
from tests.reliability.conftest import (
    ARGS,
    CANARY_TOKEN,
    INSTANCE,
    WANG,
    WireTap,
    assert_no_canary,
    canary_scenario,
    held_agent,
    running_upstream,
)
from tests.reliability.load import ToolCall, percentile, published_tools, run_load

CALLS = 200
MIX = ("list_agents", "list_calls", "get_agent_status", "unmute_call", "mute_call", "hold_call", "retrieve_call")
ARGUMENTS: dict[str, dict[str, Any]] = {
    "list_agents": {"instance_id": INSTANCE, "states": ["TALKING", "READY"]},  # the filter is a signed form body
    "list_calls": {"instance_id": INSTANCE, "flags": ["HOLD"]},  # the floor: a list page, then a poll per call
    "get_agent_status": ARGS,
    "unmute_call": ARGS,
    "mute_call": ARGS,  # job_id omitted: PollUserStatus, then MuteCall
    "hold_call": {"instance_id": INSTANCE, "user_id": WANG},  # both ids omitted: PollUserStatus, then HoldCall
}
HELD_CALLS = CALLS // len(MIX) + 2  # one held party per retrieve, and one for the check after the load
MIXED_FAULTS = [
    {"kind": "error", "status": 503, "code": "ServiceUnavailable", "probability": 0.10},
    {"kind": "throttle", "probability": 0.08},
    {"kind": "disconnect", "probability": 0.05},
    {"kind": "malformed", "body": "html", "status": 502, "probability": 0.05},
    {"kind": "latency", "ms": 150, "probability": 0.10},
]
# What a failed answer may say, given those faults (after up to three attempts at a request).
EXPECTED_FAILURES = {"ServiceUnavailable", "Throttling.User", "Network.Error", "Response.Malformed"}
# list_calls' own answer when CCC keeps throttling: its requests wait out a pause longer than its deadline.
FAN_OUT_FAILURES = {"Throttling"}


def nth_call(n: int) -> ToolCall:
    """Call n of the mix: the seven tools in turn; the k-th retrieve takes back the k-th held party."""
    tool = MIX[n % len(MIX)]
    if tool == "retrieve_call":
        return tool, {"instance_id": INSTANCE, "user_id": held_agent(n // len(MIX) + 1)}
    return tool, ARGUMENTS[tool]


@pytest.fixture
async def upstream() -> AsyncIterator[tuple[Simulator, WireTap]]:
    """This module's simulator: the suite's scenario with a held party for every retrieve."""
    async with running_upstream(canary_scenario(held_calls=HELD_CALLS)) as pair:
        yield pair


async def test_concurrent_calls_of_every_tool_with_faults_are_all_answered_correctly(
    simulator: Simulator, tap: WireTap, http_stack: Callable[..., Any], figures: dict[str, Any]
) -> None:
    async with http_stack(signing="sts", deadline=5.0, read_timeout=3.0, fanout_rate=10_000) as url:
        tools = await published_tools(url, CANARY_TOKEN)
        schemas = {name: jsonschema.Draft202012Validator(tool["outputSchema"]) for name, tool in tools.items()}
        assert set(schemas) == set(MIX), "the mix calls every published tool"
        simulator.faults.add(*MIXED_FAULTS)
        tap.actions.clear()
        load = await run_load(url, CALLS, CALLS, nth_call, token=CANARY_TOKEN)
        injected = dict(simulator.stats.outcomes)  # the CALLS calls' attempts only, not the check calls below
        upstream_requests = dict(tap.actions)
        simulator.faults.clear()
        after = await run_load(url, len(MIX), len(MIX), lambda n: nth_call(CALLS + n), token=CANARY_TOKEN)

    assert load.http_errors == [], load.http_errors[:3]
    assert len(load.answers) == CALLS
    for tool, answer in load.answers:
        structured = answer["structuredContent"]
        schemas[tool].validate(structured)
        assert json.loads(answer["content"][0]["text"]) == structured
        assert answer["isError"] is (not structured["ok"])
        if not structured["ok"]:
            expected = EXPECTED_FAILURES | (FAN_OUT_FAILURES if tool == "list_calls" else set())
            assert structured["error"]["code"] in expected, (tool, structured["error"])
            assert structured["error"]["retryable"] is True
        assert_no_canary(json.dumps(answer))
    by_tool = load.by_tool()
    assert set(by_tool) == set(MIX)
    for tool, outcomes in by_tool.items():
        assert outcomes.get("OK", 0) >= sum(outcomes.values()) * 0.75, f"retries absorb most faults: {tool} {outcomes}"
    totals = Counter(code for _, code in load.outcomes.elements())
    assert totals["OK"] >= CALLS * 0.8, f"retries absorb most faults: {totals}"
    assert after.by_tool() == {tool: {"OK": 1} for tool in MIX}, "with the faults gone, every tool is served"
    figures["concurrency"] = {
        "calls": CALLS,
        "concurrent": CALLS,
        "signing": "STS",
        "outcomes": dict(totals),
        "tools": by_tool,
        "faults_injected": injected,
        "upstream_requests": upstream_requests,
        "p50_ms": round(percentile(load.latencies, 0.5) * 1000, 1),
        "p99_ms": round(percentile(load.latencies, 0.99) * 1000, 1),
        "max_ms": round(max(load.latencies) * 1000, 1),
        "seconds": round(load.seconds, 2),
    }
