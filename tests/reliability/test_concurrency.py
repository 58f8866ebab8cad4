"""200 concurrent calls over HTTP with faults mixed in: every one answered, correctly and in shape."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable
from typing import Any

import jsonschema

from ccc_mcp.simulator import Simulator
from ccc_mcp.tools.call_control import OUTPUT_SCHEMA
from tests.reliability.conftest import ARGS, CANARY_TOKEN, assert_no_canary
from tests.reliability.load import percentile, run_load

RESULT_SCHEMA = jsonschema.Draft202012Validator(OUTPUT_SCHEMA)  # checked once, not per answer
CALLS = 200
MIXED_FAULTS = [
    {"kind": "error", "status": 503, "code": "ServiceUnavailable", "probability": 0.10},
    {"kind": "throttle", "probability": 0.08},
    {"kind": "disconnect", "probability": 0.05},
    {"kind": "malformed", "body": "html", "status": 502, "probability": 0.05},
    {"kind": "latency", "ms": 150, "probability": 0.10},
]
# What a failed answer may say, given those faults (after up to three attempts each).
EXPECTED_FAILURES = {"ServiceUnavailable", "Throttling.User", "Network.Error", "Response.Malformed"}


async def test_concurrent_calls_with_faults_are_all_answered_correctly(
    simulator: Simulator, http_stack: Callable[..., Any], figures: dict[str, Any]
) -> None:
    simulator.faults.add(*MIXED_FAULTS)
    async with http_stack(deadline=5.0, read_timeout=3.0) as url:
        load = await run_load(url, CALLS, CALLS, ARGS, token=CANARY_TOKEN)
        injected = dict(simulator.stats.outcomes)  # the CALLS calls' attempts only, not the check call below
        simulator.faults.clear()
        after = await run_load(url, 1, 1, ARGS, token=CANARY_TOKEN)

    assert load.http_errors == [], load.http_errors[:3]
    assert len(load.answers) == CALLS
    outcomes: Counter[str] = Counter()
    for answer in load.answers:
        structured = answer["structuredContent"]
        RESULT_SCHEMA.validate(structured)
        assert json.loads(answer["content"][0]["text"]) == structured
        assert answer["isError"] is (not structured["ok"])
        outcomes["OK" if structured["ok"] else structured["error"]["code"]] += 1
        if not structured["ok"]:
            assert structured["error"]["retryable"] is True
        assert_no_canary(json.dumps(answer))
    assert set(outcomes) - {"OK"} <= EXPECTED_FAILURES, outcomes
    assert outcomes["OK"] >= CALLS * 0.8, f"retries absorb most faults: {outcomes}"
    assert after.answers[0]["structuredContent"]["ok"] is True
    figures["concurrency"] = {
        "calls": CALLS,
        "concurrent": CALLS,
        "outcomes": dict(outcomes),
        "faults_injected": injected,
        "p50_ms": round(percentile(load.latencies, 0.5) * 1000, 1),
        "p99_ms": round(percentile(load.latencies, 0.99) * 1000, 1),
        "max_ms": round(max(load.latencies) * 1000, 1),
        "seconds": round(load.seconds, 2),
    }
