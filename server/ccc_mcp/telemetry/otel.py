"""The real recorder: OpenTelemetry instruments and attempt spans (imported only once telemetry starts).

An attempt becomes a CLIENT span after the fact, from the client's `AttemptRecord` (`start_time`,
`end_time`), so no context manager wraps the HTTP send; it is a child of whatever span is current when the
client reports, which is the MCP SDK's server span of the tool call (the client reports from the tool's
task). Retries are sibling spans with `ccc.attempt` 2, 3, ... Attributes carry ids and outcomes only:
never an argument value, a header, a token or a signature (docs/telemetry.md).
"""

from __future__ import annotations

from typing import Any

from opentelemetry.metrics import Meter
from opentelemetry.trace import SpanKind, StatusCode, Tracer

from ccc_mcp.api.client import AttemptRecord
from ccc_mcp.telemetry import names
from ccc_mcp.telemetry.recording import Recorder

__all__ = ["OtelRecorder", "attempt_attributes"]


def attempt_attributes(record: AttemptRecord, server_address: str, server_port: int | None) -> dict[str, Any]:
    """The span attributes of one attempt (RPC and HTTP client conventions, plus `ccc.*`)."""
    attributes: dict[str, Any] = {
        "rpc.system.name": names.RPC_SYSTEM,
        "rpc.method": names.rpc_method(record.action),
        "rpc.response.status_code": record.error_code or "OK",
        "ccc.action": record.action,
        "ccc.attempt": record.number,
        "ccc.retryable": record.retryable,
        "server.address": server_address,
    }
    if server_port is not None:
        attributes["server.port"] = server_port
    if record.number > 1:
        attributes["http.request.resend_count"] = record.number - 1
    if record.http_status is not None:
        attributes["http.response.status_code"] = record.http_status
    if record.request_id is not None:
        attributes["ccc.request_id"] = record.request_id
    if record.error_code is not None:
        attributes["error.type"] = record.error_code
    return attributes


# The span attributes that are also metric attributes: bounded values only (no attempt number, no request id).
ATTEMPT_METRIC_ATTRIBUTES = (
    "rpc.system.name", "rpc.method", "rpc.response.status_code", "error.type", "server.address",
)  # fmt: skip


class OtelRecorder(Recorder):
    """Records to a tracer (None: no traces exported) and a meter."""

    enabled = True

    def __init__(self, tracer: Tracer | None, meter: Meter) -> None:
        self._tracer = tracer
        self.traces = tracer is not None
        buckets = list(names.DURATION_BUCKETS)
        self._operation = meter.create_histogram(
            names.OPERATION_DURATION, unit="s", description="Duration of MCP tools/call requests, as the server "
            "handled them.", explicit_bucket_boundaries_advisory=buckets,
        )  # fmt: skip
        self._calls = meter.create_counter(names.TOOL_CALLS, unit="{call}", description="Tool calls by outcome.")
        self._throttled = meter.create_counter(
            names.THROTTLED, unit="{call}", description="Tool calls answered Throttling, by who throttled them."
        )
        self._attempts = meter.create_histogram(
            names.ATTEMPT_DURATION, unit="s", description="Duration of each attempt of a CCC request.",
            explicit_bucket_boundaries_advisory=buckets,
        )  # fmt: skip
        self._retries = meter.create_counter(names.RETRIES, unit="{retry}", description="CCC attempts after the first.")
        self._limiter_errors = meter.create_counter(
            names.LIMITER_ERRORS, unit="{error}", description="Rate-limiter storage failures."
        )

    def tool_call(self, tool: str, outcome: str, seconds: float, upstream_attempts: int) -> None:
        attributes = {"mcp.method.name": "tools/call", "gen_ai.operation.name": "execute_tool",
                      "gen_ai.tool.name": tool, "ccc.outcome": outcome}  # fmt: skip
        if outcome != "OK":
            attributes["error.type"] = "tool_error"  # what the MCP conventions (and the SDK's span) say
        self._operation.record(seconds, attributes)
        self._calls.add(1, {"gen_ai.tool.name": tool, "ccc.outcome": outcome})
        if outcome.startswith("Throttling"):
            by = "server" if upstream_attempts == 0 else "ccc"  # no request sent: this server's limiter refused
            self._throttled.add(1, {"gen_ai.tool.name": tool, "ccc.throttled_by": by})

    def attempt(self, record: AttemptRecord, server_address: str, server_port: int | None) -> None:
        attributes = attempt_attributes(record, server_address, server_port)
        metric: dict[str, str] = {key: attributes[key] for key in ATTEMPT_METRIC_ATTRIBUTES if key in attributes}
        self._attempts.record(max(record.end_ns - record.start_ns, 0) / 1e9, metric)
        if record.number > 1:
            self._retries.add(1, {"rpc.method": attributes["rpc.method"]})
        if self._tracer is None:
            return
        span = self._tracer.start_span(
            attributes["rpc.method"], kind=SpanKind.CLIENT, attributes=attributes, start_time=record.start_ns
        )
        if record.error_code is not None:
            span.set_status(StatusCode.ERROR)
        span.end(end_time=record.end_ns)

    def limiter_error(self, error: BaseException | None) -> None:
        self._limiter_errors.add(1, {"error.type": type(error).__name__ if error is not None else "_OTHER"})
