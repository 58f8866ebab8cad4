"""The names telemetry publishes: span, metric and attribute names, after the OpenTelemetry semantic
conventions where they have one (MCP, RPC, HTTP), under `ccc.` where they do not. docs/telemetry.md lists
them; a rename here is a breaking change for dashboards."""

from __future__ import annotations

__all__ = [
    "ATTEMPT_DURATION",
    "DURATION_BUCKETS",
    "INSTALL_HINT",
    "LIMITER_ERRORS",
    "OPERATION_DURATION",
    "RETRIES",
    "RPC_SERVICE",
    "RPC_SYSTEM",
    "SCOPE",
    "THROTTLED",
    "TOOL_CALLS",
    "rpc_method",
]

SCOPE = "ccc_mcp"  # the instrumentation scope of our tracer and meter
INSTALL_HINT = "pip install 'ccc-mcp-server[otel]'"

# RPC semantic conventions: span name = rpc.method = "{service}/{method}".
RPC_SYSTEM = "alibaba_cloud_openapi"
RPC_SERVICE = "CCC"

OPERATION_DURATION = "mcp.server.operation.duration"  # MCP semconv: histogram, s
TOOL_CALLS = "ccc.tool.calls"  # counter: tool calls by tool and outcome code
THROTTLED = "ccc.tool.throttled"  # counter: calls answered Throttling, by who throttled (server or ccc)
ATTEMPT_DURATION = "rpc.client.call.duration"  # RPC semconv: histogram, s, one point per attempt
RETRIES = "ccc.client.retries"  # counter: attempts after the first
LIMITER_ERRORS = "ccc.ratelimit.errors"  # counter: the rate limiter's storage failed

# The MCP conventions' recommended boundaries for operation durations, in seconds.
DURATION_BUCKETS = (0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1.0, 2.0, 5.0, 10.0, 30.0, 60.0, 120.0, 300.0)


def rpc_method(action: str) -> str:
    """`CCC/UnmuteCall`: the span name and `rpc.method` of an attempt."""
    return f"{RPC_SERVICE}/{action}"
