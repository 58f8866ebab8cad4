"""What the standard `OTEL_*` variables ask for, read without importing anything of OpenTelemetry.

The SDK and its exporters read the rest themselves (headers, timeouts, intervals, resource, sampler);
this module only decides whether to start them at all, which is what keeps stdio's cold start untouched.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

__all__ = ["EXTRA_MODULES", "Plan", "Transport", "extra_installed", "plan_for"]

Transport = Literal["stdio", "http"]

# One module of each distribution of the [otel] extra.
EXTRA_MODULES = (
    "opentelemetry.sdk",
    "opentelemetry.exporter.otlp.proto.http",
    "opentelemetry.exporter.prometheus",
    "prometheus_client",
)


@dataclass(frozen=True, slots=True)
class Plan:
    """Which pipelines to start: OTLP traces, OTLP metrics, the Prometheus reader behind /metrics."""

    otlp_traces: bool
    otlp_metrics: bool
    prometheus: bool
    protocol: str = ""  # OTEL_EXPORTER_OTLP_PROTOCOL as given ("" if unset)
    disabled: bool = False  # OTEL_SDK_DISABLED=true

    @property
    def otlp(self) -> bool:
        return self.otlp_traces or self.otlp_metrics

    @property
    def wanted(self) -> bool:
        return self.otlp or self.prometheus


def _set(environ: Mapping[str, str], name: str) -> bool:
    return bool(environ.get(name, "").strip())


def _otlp(environ: Mapping[str, str], signal: str) -> bool:
    """A signal (TRACES, METRICS) goes to OTLP when the generic or its own endpoint is set, unless
    OTEL_<signal>_EXPORTER=none turns it off."""
    endpoint = _set(environ, "OTEL_EXPORTER_OTLP_ENDPOINT") or _set(environ, f"OTEL_EXPORTER_OTLP_{signal}_ENDPOINT")
    return endpoint and environ.get(f"OTEL_{signal}_EXPORTER", "otlp").strip().lower() != "none"


def plan_for(transport: Transport, environ: Mapping[str, str]) -> Plan:
    """Traces and metrics go to OTLP when an endpoint is set for them (the generic one or the signal's);
    /metrics needs the metric pipeline on the HTTP transport whatever the endpoints; OTEL_SDK_DISABLED
    turns all of it off."""
    if environ.get("OTEL_SDK_DISABLED", "").strip().lower() == "true":
        return Plan(otlp_traces=False, otlp_metrics=False, prometheus=False, disabled=True)
    return Plan(
        otlp_traces=_otlp(environ, "TRACES"),
        otlp_metrics=_otlp(environ, "METRICS"),
        prometheus=transport == "http",
        protocol=environ.get("OTEL_EXPORTER_OTLP_PROTOCOL", "").strip(),
    )


def extra_installed() -> bool:
    """Whether the [otel] extra is installed, found without importing it."""
    try:
        return all(importlib.util.find_spec(name) is not None for name in EXTRA_MODULES)
    except ModuleNotFoundError:  # a parent package is missing
        return False
