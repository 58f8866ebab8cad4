"""The recording points, in-process: the client reports each attempt, the recorder turns a report into a
CLIENT span under the current span and into metric points, the rate limiter's errors are counted, and
with telemetry off every point is a no-op (no hook handed to the client at all)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import InMemoryMetricReader
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind

from ccc_mcp.api.client import AttemptRecord, CccClient, RetryPolicy
from ccc_mcp.api.credentials import StaticCredentials
from ccc_mcp.api.signing import SigningKey
from ccc_mcp.simulator import Simulator
from ccc_mcp.telemetry import recording
from ccc_mcp.telemetry.otel import OtelRecorder
from ccc_mcp.telemetry.recording import Recorder, activate, attempt_hook, limiter_error, record_tool_call
from tests.telemetry.conftest import RETRIED_ONCE


class Recorded:
    def __init__(self) -> None:
        self.spans = InMemorySpanExporter()
        self.tracer_provider = TracerProvider()
        self.tracer_provider.add_span_processor(SimpleSpanProcessor(self.spans))
        self.reader = InMemoryMetricReader()
        meter = MeterProvider(metric_readers=[self.reader]).get_meter("test")
        self.recorder = OtelRecorder(self.tracer_provider.get_tracer("test"), meter)

    def points(self, name: str) -> list[tuple[dict[str, Any], float]]:
        data = self.reader.get_metrics_data()
        found = []
        for resource in data.resource_metrics if data else []:
            for scope in resource.scope_metrics:
                for metric in scope.metrics:
                    if metric.name == name:
                        for point in metric.data.data_points:
                            found.append((dict(point.attributes or {}), point.value if hasattr(point, "value") else point.count))
        return found


@pytest.fixture
def recorded() -> Iterator[Recorded]:
    result = Recorded()
    previous = activate(result.recorder)
    yield result
    activate(previous)


def test_off_by_default_every_point_is_a_no_op() -> None:
    assert type(recording.current()) is Recorder
    assert attempt_hook("https://ccc.cn-shanghai.aliyuncs.com") is None, "the client gets no hook at all"
    record_tool_call("unmute_call", "OK", 0.1)
    limiter_error(ConnectionError("redis is down"))


def test_limiter_errors_are_counted_by_kind(recorded: Recorded) -> None:
    limiter_error(ConnectionError("redis is down"))
    limiter_error(ConnectionError("still down"))
    limiter_error()
    counts = {attrs["error.type"]: value for attrs, value in recorded.points("ccc.ratelimit.errors")}
    assert counts == {"ConnectionError": 2, "_OTHER": 1}


def test_an_attempt_becomes_a_client_span_under_the_current_span(recorded: Recorded) -> None:
    hook = attempt_hook("https://ccc.cn-shanghai.aliyuncs.com")
    assert hook is not None
    record = AttemptRecord("HoldCall", 2, 1_000_000_000, 1_250_000_000, 200, "REQ-1", None, retryable=False)
    with recorded.tracer_provider.get_tracer("sdk").start_as_current_span("tools/call hold_call") as parent:
        hook(record)
    [span] = [span for span in recorded.spans.get_finished_spans() if span.kind is SpanKind.CLIENT]
    assert span.name == "CCC/HoldCall"
    assert span.parent is not None
    assert span.parent.span_id == parent.get_span_context().span_id
    assert (span.start_time, span.end_time) == (1_000_000_000, 1_250_000_000), "dated by the record, after the fact"
    assert dict(span.attributes or {}) == {
        "rpc.system.name": "alibaba_cloud_openapi", "rpc.method": "CCC/HoldCall", "ccc.action": "HoldCall",
        "ccc.attempt": 2, "http.request.resend_count": 1, "ccc.retryable": False, "rpc.response.status_code": "OK",
        "http.response.status_code": 200, "ccc.request_id": "REQ-1", "server.address": "ccc.cn-shanghai.aliyuncs.com",
    }  # fmt: skip
    [(attrs, count)] = recorded.points("rpc.client.call.duration")
    assert count == 1
    assert attrs["rpc.method"] == "CCC/HoldCall"
    assert "ccc.request_id" not in attrs
    assert [value for _, value in recorded.points("ccc.client.retries")] == [1]


async def test_the_client_reports_every_attempt_and_survives_a_failing_hook(simulator: Simulator) -> None:
    reports: list[AttemptRecord] = []

    def on_attempt(record: AttemptRecord) -> None:
        reports.append(record)
        raise RuntimeError("a broken hook must not break the call")

    key = StaticCredentials(SigningKey(simulator.access_key_id, simulator.access_key_secret))
    client = CccClient(endpoint=simulator.endpoint, credentials=key, retry=RetryPolicy(backoff_base=0.001),
                       on_attempt=on_attempt)  # fmt: skip
    simulator.faults.add(RETRIED_ONCE)
    try:
        result = await client.call("PollUserStatus", {"InstanceId": "ccc-demo", "UserId": "agent@ccc-demo"})
    finally:
        await client.aclose()
    assert result.ok
    assert result.attempts == 2
    first, second = reports
    assert (first.action, first.number, first.http_status, first.error_code, first.retryable) == (
        "PollUserStatus", 1, 503, "ServiceUnavailable", True)  # fmt: skip
    assert (second.number, second.error_code, second.request_id) == (2, None, result.request_id)
    assert first.start_ns <= first.end_ns <= second.start_ns <= second.end_ns
