"""The OpenTelemetry SDK pipelines, built from the environment by the SDK's own rules.

A TracerProvider with a BatchSpanProcessor → OTLP/HTTP span exporter, and a MeterProvider with a
PeriodicExportingMetricReader → OTLP/HTTP metric exporter and/or a Prometheus reader (for /metrics) on a
registry of its own. Endpoints, headers, timeouts, the export interval, the batch delay, the resource
(`OTEL_SERVICE_NAME`, `OTEL_RESOURCE_ATTRIBUTES`) and the sampler all come from `OTEL_*` variables, read by
the SDK. Imported only when telemetry starts: this is where the SDK's import cost is paid.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from opentelemetry import metrics, trace
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import MetricReader, PeriodicExportingMetricReader
from opentelemetry.sdk.resources import SERVICE_NAME, SERVICE_VERSION, Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor

from ccc_mcp import __version__
from ccc_mcp.telemetry import names
from ccc_mcp.telemetry.otel import OtelRecorder
from ccc_mcp.telemetry.plan import Plan

if TYPE_CHECKING:
    from prometheus_client import CollectorRegistry

__all__ = ["Pipelines", "build_pipelines"]

DEFAULT_SERVICE_NAME = "ccc-mcp-server"


class Pipelines:
    """The running providers, the recorder that feeds them, and the registry /metrics renders."""

    def __init__(
        self,
        tracer_provider: TracerProvider | None,
        meter_provider: MeterProvider,
        registry: CollectorRegistry | None,
    ) -> None:
        self.tracer_provider = tracer_provider
        self.meter_provider = meter_provider
        self.registry = registry
        tracer = tracer_provider.get_tracer(names.SCOPE, __version__) if tracer_provider is not None else None
        self.recorder = OtelRecorder(tracer, meter_provider.get_meter(names.SCOPE, __version__))

    def prometheus_text(self) -> bytes | None:
        """The metrics in Prometheus text exposition format; None without the Prometheus reader."""
        if self.registry is None:
            return None
        from prometheus_client import generate_latest

        return generate_latest(self.registry)

    def shutdown(self) -> None:
        """Flush and stop: the last spans and metric points are exported before this returns."""
        if self.tracer_provider is not None:
            self.tracer_provider.shutdown()
        self.meter_provider.shutdown()


def resource() -> Resource:
    """The SDK's resource from the environment, named `ccc-mcp-server` unless the operator named it."""
    found = Resource.create({SERVICE_VERSION: __version__})
    if str(found.attributes.get(SERVICE_NAME, "")).startswith("unknown_service"):
        found = found.merge(Resource({SERVICE_NAME: DEFAULT_SERVICE_NAME}))
    return found


def build_pipelines(plan: Plan, *, install_global: bool = True) -> Pipelines:
    """Start what `plan` asks for. With `install_global`, the providers become OpenTelemetry's global ones,
    so the MCP SDK's server spans (global tracer) are exported too and parent our client spans."""
    service = resource()
    tracer_provider = None
    if plan.otlp_traces:
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

        tracer_provider = TracerProvider(resource=service, shutdown_on_exit=False)
        tracer_provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter()))
    readers: list[MetricReader] = []
    if plan.otlp_metrics:
        from opentelemetry.exporter.otlp.proto.http.metric_exporter import OTLPMetricExporter

        readers.append(PeriodicExportingMetricReader(OTLPMetricExporter()))
    registry = None
    if plan.prometheus:
        from opentelemetry.exporter.prometheus import PrometheusMetricReader
        from prometheus_client import CollectorRegistry

        registry = CollectorRegistry(auto_describe=True)
        readers.append(PrometheusMetricReader(registry=registry))
    meter_provider = MeterProvider(metric_readers=readers, resource=service, shutdown_on_exit=False)
    if install_global:
        if tracer_provider is not None:
            trace.set_tracer_provider(tracer_provider)
        metrics.set_meter_provider(meter_provider)
    return Pipelines(tracer_provider, meter_provider, registry)
