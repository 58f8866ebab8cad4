"""Fast path: no SDK span per message when nothing would record it (architecture.md §6, "Where spans come from").

`MCPServer.middleware` starts with the SDK's OpenTelemetry middleware, a SERVER span per message; the SDK
documents dropping it from that list to opt out. The list is public (provisional in mcp 2.x); the
middleware's class lives in a private module (`mcp.server._otel`), looked up through `internals`. Without it
the spans stay: each a no-op without a tracer provider, ≈ 27 µs of CPU a call (docs/performance.md).
"""

from __future__ import annotations

from typing import Any

from mcp.server.mcpserver import MCPServer

from ccc_mcp.mcpserver.internals import Unusable, fall_back, module_attribute, require_class

__all__ = ["without_sdk_spans"]

_OTEL = "mcp.server._otel"
_MIDDLEWARE = "OpenTelemetryMiddleware"


def without_sdk_spans(server: MCPServer[Any]) -> bool:
    """Take the SDK's OpenTelemetry middleware out of `server`'s chain, the rest of the chain in its order;
    False (and one WARNING) when the SDK's middleware class cannot be found, the spans then staying."""
    try:
        middleware = require_class(module_attribute(_OTEL, _MIDDLEWARE), f"{_OTEL}.{_MIDDLEWARE}")
    except Unusable as exc:
        fall_back("taking out the SDK's span per message", str(exc), "its span per message, a no-op")
        return False
    server.middleware[:] = [step for step in server.middleware if not isinstance(step, middleware)]
    return True
