"""OpenTelemetry traces and metrics for the server, and /metrics in Prometheus text (docs/telemetry.md).

Optional twice over: the `[otel]` extra must be installed, and the standard `OTEL_*` variables must ask
for it. Otherwise nothing of the OpenTelemetry SDK or its exporters is imported and every recording point
is a call to a no-op (docs/architecture.md §6). Import the modules, not this package's names: it only
says what is here.
"""
