"""`ccc-mcp serve --transport http` as a real process exporting OTLP/HTTP to a real receiver: the MCP SDK's
server span continues the caller's W3C trace context from `_meta`, each CCC attempt is a CLIENT span under
it (a retry is a sibling with the next attempt number), the metric points count calls, attempts, retries
and throttling, and /metrics shows the same metrics. SIGTERM flushes what the batch had not yet sent."""

from __future__ import annotations

import asyncio
import signal
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from ccc_mcp.simulator import Simulator
from tests.telemetry.conftest import (
    ARGS,
    CALLER_SPAN,
    HEADERS,
    ONLY_AT_EXIT,
    RETRIED_ONCE,
    SERVICE,
    TRACE_ID,
    TRACEPARENT,
    bearer,
    otel_environment,
    tool_call,
)
from tests.telemetry.receiver import OtlpReceiver, Span

pytestmark = pytest.mark.e2e
AUTH = {**HEADERS, **bearer()}


async def call(base: str, body: dict[str, Any]) -> dict[str, Any]:
    async with httpx.AsyncClient(timeout=30) as http:
        response = await http.post(f"{base}/mcp", json=body, headers=AUTH)
    assert response.status_code == 200, response.text
    result: dict[str, Any] = response.json()["result"]
    return result


def in_trace(receiver: OtlpReceiver, kind: str) -> list[Span]:
    return [span for span in receiver.spans if span.trace_id == TRACE_ID and span.kind == kind]


async def test_a_retried_call_is_a_server_span_over_one_client_span_per_attempt(
    simulator: Simulator, receiver: OtlpReceiver, otel_http_process: Callable[..., Any]
) -> None:
    base, _ = otel_http_process(simulator, otel_environment(receiver))
    simulator.faults.add({**RETRIED_ONCE, "action": "UnmuteCall"})
    result = await call(base, tool_call("unmute_call", {**ARGS, "job_id": "job-demo-1"}, traceparent=TRACEPARENT))
    assert result["structuredContent"]["ok"] is True
    await receiver.until(lambda: len(in_trace(receiver, "CLIENT")) >= 2 and in_trace(receiver, "SERVER"), "spans")

    [server] = in_trace(receiver, "SERVER")
    assert (server.name, server.parent_id, server.scope) == ("tools/call unmute_call", CALLER_SPAN, "mcp-python-sdk")
    attempts = sorted(in_trace(receiver, "CLIENT"), key=lambda span: span.attributes["ccc.attempt"])
    assert [span.attributes["ccc.attempt"] for span in attempts] == [1, 2], "the retry is a sibling attempt span"
    assert {span.parent_id for span in attempts} == {server.span_id}, "children of the SDK's server span"
    assert {span.name for span in attempts} == {"CCC/UnmuteCall"}
    first, second = attempts
    assert first.attributes | {"ccc.request_id": None} == {
        "rpc.system.name": "alibaba_cloud_openapi", "rpc.method": "CCC/UnmuteCall", "ccc.action": "UnmuteCall",
        "ccc.attempt": 1, "ccc.retryable": True, "rpc.response.status_code": "ServiceUnavailable",
        "error.type": "ServiceUnavailable", "http.response.status_code": 503, "server.address": "127.0.0.1",
        "server.port": simulator.port, "ccc.request_id": None,
    }  # fmt: skip
    assert first.status_code == 2, "an attempt that failed has status ERROR"
    assert second.attributes["rpc.response.status_code"] == "OK"
    assert "error.type" not in second.attributes
    assert second.attributes["http.request.resend_count"] == 1
    assert second.attributes["ccc.request_id"] == result["structuredContent"]["request_id"]
    assert server.resource["service.name"] == SERVICE


async def test_metric_points_count_calls_attempts_retries_and_throttling(
    simulator: Simulator, receiver: OtlpReceiver, otel_http_process: Callable[..., Any]
) -> None:
    """One call a minute: the first call (retried once upstream) passes, the second is throttled here."""
    env = otel_environment(receiver, CCC_MCP_RATE_LIMIT="1", CCC_MCP_RATE_BURST="1")
    base, _ = otel_http_process(simulator, env)
    simulator.faults.add({**RETRIED_ONCE, "action": "UnmuteCall"})
    passed = await call(base, tool_call("unmute_call", {**ARGS, "job_id": "job-demo-1"}))
    throttled = await call(base, tool_call("get_agent_status", ARGS, request_id=2))
    assert passed["structuredContent"]["ok"] is True
    assert throttled["structuredContent"]["error"]["code"] == "Throttling"

    def complete() -> bool:
        return receiver.total("ccc.tool.calls") == 2 and receiver.total("rpc.client.call.duration") == 2

    await receiver.until(complete, "both calls' metric points")
    assert receiver.total("ccc.tool.calls", {"gen_ai.tool.name": "unmute_call", "ccc.outcome": "OK"}) == 1
    assert receiver.total("ccc.tool.calls", {"gen_ai.tool.name": "get_agent_status", "ccc.outcome": "Throttling"}) == 1
    assert receiver.total("ccc.tool.throttled", {"ccc.throttled_by": "server"}) == 1
    durations = {(p.attributes["gen_ai.tool.name"], p.attributes.get("error.type")): p.value
                 for p in receiver.latest("mcp.server.operation.duration")}  # fmt: skip
    assert durations == {("unmute_call", None): 1, ("get_agent_status", "tool_error"): 1}
    assert {p.unit for p in receiver.latest("mcp.server.operation.duration")} == {"s"}
    unmute = {"rpc.method": "CCC/UnmuteCall"}
    failed = {**unmute, "rpc.response.status_code": "ServiceUnavailable", "error.type": "ServiceUnavailable"}
    assert receiver.total("rpc.client.call.duration", failed) == 1
    assert receiver.total("rpc.client.call.duration", {**unmute, "rpc.response.status_code": "OK"}) == 1
    assert receiver.total("ccc.client.retries", unmute) == 1

    async with httpx.AsyncClient(timeout=10) as http:
        refused = await http.get(f"{base}/metrics")
        scraped = await http.get(f"{base}/metrics", headers=bearer())
    assert refused.status_code == 401, "/metrics is behind the same token as /mcp"
    assert scraped.status_code == 200
    assert scraped.headers["content-type"].startswith("text/plain")
    assert 'ccc_tool_calls_total{ccc_outcome="OK",gen_ai_tool_name="unmute_call"' in scraped.text
    assert "mcp_server_operation_duration_seconds_bucket" in scraped.text


async def test_sigterm_flushes_what_was_not_yet_exported(
    simulator: Simulator, receiver: OtlpReceiver, otel_http_process: Callable[..., Any]
) -> None:
    """With an hour between exports, only the shutdown flush can deliver the call's spans and points."""
    base, process = otel_http_process(simulator, otel_environment(receiver, **ONLY_AT_EXIT))
    result = await call(base, tool_call("get_agent_status", ARGS, traceparent=TRACEPARENT))
    assert result["structuredContent"]["ok"] is True
    assert receiver.raw == [], "nothing is exported before the hour is up"
    process.send_signal(signal.SIGTERM)
    # Waited for off the event loop: the receiver answering the flush runs on it.
    assert await asyncio.to_thread(process.wait, 30) in (0, -signal.SIGTERM)
    assert [span.name for span in in_trace(receiver, "CLIENT")] == ["CCC/PollUserStatus"]
    assert receiver.total("ccc.tool.calls", {"gen_ai.tool.name": "get_agent_status", "ccc.outcome": "OK"}) == 1


async def test_with_workers_each_worker_exports_and_flushes_on_sigterm(
    simulator: Simulator, receiver: OtlpReceiver, otel_http_process: Callable[..., Any]
) -> None:
    """`--workers 2`: telemetry starts in each worker process (the parent serves nothing), and SIGTERM to the
    parent flushes every worker's spans and points: each call counts once, whichever worker answered it."""
    environment = otel_environment(receiver, **ONLY_AT_EXIT, CCC_MCP_WORKERS="2")
    base, process = otel_http_process(simulator, environment)
    calls = 6
    for _ in range(calls):  # a new connection each time, so the calls spread over the workers
        result = await call(base, tool_call("get_agent_status", ARGS, traceparent=TRACEPARENT))
        assert result["structuredContent"]["ok"] is True
    assert receiver.raw == [], "nothing is exported before the hour is up"
    process.send_signal(signal.SIGTERM)
    assert await asyncio.to_thread(process.wait, 30) in (0, -signal.SIGTERM)
    assert [span.name for span in in_trace(receiver, "CLIENT")] == ["CCC/PollUserStatus"] * calls
    assert receiver.total("ccc.tool.calls", {"gen_ai.tool.name": "get_agent_status", "ccc.outcome": "OK"}) == calls
