"""Every fault kind the simulator can inject, end to end through the MCP tool: bounded attempts, the whole
call inside the deadline, a structured error with the right `retryable` — and the next call served."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import pytest

from ccc_mcp.simulator import Simulator
from tests.reliability.conftest import ARGS, FAST, assert_no_canary

DEADLINE = FAST["deadline"]
MAX_ATTEMPTS = FAST["max_attempts"]

# (name, rule, expected code, retryable, attempts the server makes; None where timing decides: 1 or 2)
FAULTS: list[tuple[str, dict[str, Any], str, bool, int | None]] = [
    ("latency beyond the deadline", {"kind": "latency", "ms": 5000}, "Network.Timeout", True, None),
    ("500 InternalError", {"kind": "error", "status": 500, "code": "InternalError"}, "InternalError", True, 3),
    ("502 HTML from a proxy", {"kind": "malformed", "body": "html", "status": 502}, "Response.Malformed", True, 3),
    (
        "503 ServiceUnavailable",
        {"kind": "error", "status": 503, "code": "ServiceUnavailable"},
        "ServiceUnavailable",
        True,
        3,
    ),
    ("504 GatewayTimeout", {"kind": "error", "status": 504, "code": "GatewayTimeout"}, "GatewayTimeout", True, 3),
    (
        "500 CTI (CCC envelope)",
        {"kind": "error", "status": 500, "code": "InternalService.CTI", "style": "ccc", "params": ["busy"]},
        "InternalService.CTI",
        True,
        3,
    ),
    ("throttling without retry-after", {"kind": "throttle"}, "Throttling.User", True, 3),
    ("throttling 429", {"kind": "throttle", "status": 429, "code": "Throttling.Api"}, "Throttling.Api", True, 3),
    ("throttling, retry-after past the deadline", {"kind": "throttle", "retry_after": 30}, "Throttling.User", True, 1),
    ("dropped connection", {"kind": "disconnect"}, "Network.Error", True, 3),
    ("dropped after the action was applied", {"kind": "disconnect", "after_action": True}, "Network.Error", True, 3),
    ("truncated body, honest length", {"kind": "truncated", "content_length": "match"}, "Response.Malformed", True, 1),
    ("truncated body, lying length", {"kind": "truncated", "content_length": "lie"}, "Network.Error", True, 3),
    ("malformed: HTML with 200", {"kind": "malformed", "body": "html"}, "Response.Malformed", True, 1),
    ("malformed: plain text", {"kind": "malformed", "body": "text"}, "Response.Malformed", True, 1),
    ("malformed: empty body", {"kind": "malformed", "body": "empty"}, "Response.Malformed", True, 1),
    ("malformed: binary garbage", {"kind": "malformed", "body": "garbage"}, "Response.Malformed", True, 1),
    (
        "body trickling past the deadline",
        {"kind": "trickle", "chunk_bytes": 16, "interval_ms": 400},
        "Network.Timeout",
        True,
        None,
    ),
]


async def _call(client: Any) -> tuple[dict[str, Any], float]:
    started = time.monotonic()
    result = await client.call_tool("unmute_call", ARGS)
    elapsed = time.monotonic() - started
    assert_no_canary(result.model_dump_json())
    return result.structured_content or {}, elapsed


@pytest.mark.parametrize(("name", "rule", "code", "retryable", "attempts"), FAULTS, ids=[f[0] for f in FAULTS])
async def test_persistent_fault(
    simulator: Simulator,
    mcp_client: Callable[..., Any],
    figures: dict[str, Any],
    name: str,
    rule: dict[str, Any],
    code: str,
    retryable: bool,
    attempts: int | None,
) -> None:
    async with mcp_client() as client:
        simulator.faults.add(rule)
        out, elapsed = await _call(client)
        seen = simulator.stats.received
        simulator.faults.clear()
        after, _ = await _call(client)

    assert out["ok"] is False
    assert out["error"]["code"] == code
    assert out["error"]["retryable"] is retryable
    assert out["error"]["hint"]
    assert 1 <= seen <= MAX_ATTEMPTS, f"bounded attempts ({seen})"
    if attempts is not None:
        assert seen == attempts, f"expected {attempts} attempts, saw {seen}"
    assert elapsed <= DEADLINE + 0.5, f"the call took {elapsed:.2f} s, over the {DEADLINE} s deadline"
    assert after["ok"] is True, "the next call is served normally"
    figures.setdefault("faults", {})[name] = {
        "code": code,
        "retryable": retryable,
        "attempts": seen,
        "seconds": round(elapsed, 3),
        "next_call_ok": True,
    }


TRANSIENT: list[tuple[str, dict[str, Any]]] = [
    ("503 once", {"kind": "error", "status": 503, "code": "ServiceUnavailable", "times": 1}),
    ("throttled once, retry-after 1 s", {"kind": "throttle", "retry_after": 1, "times": 1}),
    ("dropped once", {"kind": "disconnect", "times": 1}),
    ("dropped once after the action", {"kind": "disconnect", "after_action": True, "times": 1}),
    ("lying truncation once", {"kind": "truncated", "content_length": "lie", "times": 1}),
    ("short latency", {"kind": "latency", "ms": 300, "times": 1}),
    ("slow trickle within the deadline", {"kind": "trickle", "chunk_bytes": 256, "interval_ms": 20, "times": 1}),
]


@pytest.mark.parametrize(("name", "rule"), TRANSIENT, ids=[t[0] for t in TRANSIENT])
async def test_transient_fault_is_absorbed(
    simulator: Simulator, mcp_client: Callable[..., Any], figures: dict[str, Any], name: str, rule: dict[str, Any]
) -> None:
    async with mcp_client() as client:
        simulator.faults.add(rule)
        out, elapsed = await _call(client)
    assert out["ok"] is True, out["error"]
    assert simulator.stats.received <= 2
    assert elapsed <= DEADLINE + 0.5
    if "retry-after" in name:
        assert elapsed >= 1.0, "x-acs-retry-after was honoured"
    figures.setdefault("transient", {})[name] = {"attempts": simulator.stats.received, "seconds": round(elapsed, 3)}
