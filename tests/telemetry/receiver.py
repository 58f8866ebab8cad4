"""A real OTLP/HTTP receiver on loopback: accepts POST /v1/traces and /v1/metrics as an OpenTelemetry
collector does, decodes the protobuf with `opentelemetry-proto`, and keeps both the raw bytes (for the
secret canaries) and a plain view of the spans and metric points (for the assertions)."""

from __future__ import annotations

import asyncio
import gzip
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

from opentelemetry.proto.collector.metrics.v1.metrics_service_pb2 import (
    ExportMetricsServiceRequest,
    ExportMetricsServiceResponse,
)
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
    ExportTraceServiceRequest,
    ExportTraceServiceResponse,
)
from opentelemetry.proto.common.v1.common_pb2 import AnyValue, KeyValue
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from ccc_mcp.net.asgi import bind_socket, hosted

PROTOBUF = "application/x-protobuf"
SPAN_KINDS = {1: "INTERNAL", 2: "SERVER", 3: "CLIENT", 4: "PRODUCER", 5: "CONSUMER"}


def value(any_value: AnyValue) -> Any:
    kind = any_value.WhichOneof("value")
    return getattr(any_value, kind) if kind else None


def attributes(pairs: Any) -> dict[str, Any]:
    return {pair.key: value(pair.value) for pair in pairs if isinstance(pair, KeyValue)}


@dataclass(frozen=True)
class Span:
    name: str
    kind: str
    trace_id: str
    span_id: str
    parent_id: str
    attributes: dict[str, Any]
    scope: str
    resource: dict[str, Any]
    status_code: int


@dataclass(frozen=True)
class Point:
    """One data point of a metric: its attributes, and its value (a sum's value, a histogram's count)."""

    metric: str
    unit: str
    attributes: dict[str, Any]
    value: float
    resource: dict[str, Any]


@dataclass
class OtlpReceiver:
    endpoint: str = ""
    raw: list[bytes] = field(default_factory=list)
    spans: list[Span] = field(default_factory=list)
    exports: list[list[Point]] = field(default_factory=list)  # one list per metrics request, in arrival order

    def take_traces(self, body: bytes) -> bytes:
        request = ExportTraceServiceRequest.FromString(body)
        for resource_spans in request.resource_spans:
            resource = attributes(resource_spans.resource.attributes)
            for scope_spans in resource_spans.scope_spans:
                for span in scope_spans.spans:
                    self.spans.append(Span(
                        name=span.name, kind=SPAN_KINDS.get(span.kind, str(span.kind)), trace_id=span.trace_id.hex(),
                        span_id=span.span_id.hex(), parent_id=span.parent_span_id.hex(),
                        attributes=attributes(span.attributes), scope=scope_spans.scope.name, resource=resource,
                        status_code=span.status.code,
                    ))  # fmt: skip
        return ExportTraceServiceResponse().SerializeToString()

    def take_metrics(self, body: bytes) -> bytes:
        request = ExportMetricsServiceRequest.FromString(body)
        points: list[Point] = []
        for resource_metrics in request.resource_metrics:
            resource = attributes(resource_metrics.resource.attributes)
            for scope_metrics in resource_metrics.scope_metrics:
                for metric in scope_metrics.metrics:
                    kind = metric.WhichOneof("data")
                    for point in getattr(metric, kind).data_points:
                        number = point.count if kind == "histogram" else value_of(point)
                        points.append(Point(metric.name, metric.unit, attributes(point.attributes), number, resource))
        self.exports.append(points)
        return ExportMetricsServiceResponse().SerializeToString()

    def latest(self, metric: str) -> list[Point]:
        """The metric's points in each process's last export that had it (cumulative: the totals so far). A
        process is a resource's `service.instance.id` (one per process: `--workers` exports from each)."""
        latest: dict[Any, list[Point]] = {}
        for points in self.exports:
            found = [point for point in points if point.metric == metric]
            if found:
                latest[found[0].resource.get("service.instance.id")] = found
        return [point for found in latest.values() for point in found]

    def total(self, metric: str, match: dict[str, Any] | None = None) -> float:
        """The metric's latest value summed over the points whose attributes include `match`."""
        wanted = (match or {}).items()
        return sum(p.value for p in self.latest(metric) if all(p.attributes.get(k) == v for k, v in wanted))

    async def until(self, ready: Callable[[], bool], what: str, give_up: float = 60) -> None:
        """Poll until `ready()`; gives up (and fails) only after `give_up` seconds, a bound on a hang, not a
        timing assertion."""
        for _ in range(int(give_up / 0.05)):
            if ready():
                return
            await asyncio.sleep(0.05)
        raise AssertionError(f"the receiver never got {what}")


def value_of(point: Any) -> float:
    return float(point.as_int if point.WhichOneof("value") == "as_int" else point.as_double)


@asynccontextmanager
async def running_receiver() -> AsyncIterator[OtlpReceiver]:
    receiver = OtlpReceiver()

    def route(take: Callable[[bytes], bytes]) -> Callable[[Request], Any]:
        async def endpoint(request: Request) -> Response:
            body = await request.body()
            if request.headers.get("content-encoding") == "gzip":
                body = gzip.decompress(body)
            receiver.raw.append(body)
            return Response(take(body), media_type=PROTOBUF)

        return endpoint

    app = Starlette(routes=[
        Route("/v1/traces", route(receiver.take_traces), methods=["POST"]),
        Route("/v1/metrics", route(receiver.take_metrics), methods=["POST"]),
    ])  # fmt: skip
    async with hosted(app, bind_socket("127.0.0.1", 0), name="otlp-receiver") as (host, port):
        receiver.endpoint = f"http://{host}:{port}"
        yield receiver
