"""The recording points the rest of the server calls, and the recorder behind them.

Until telemetry starts, the recorder is `Recorder()` itself, whose methods do nothing: a tool call costs
one attribute lookup and one empty call, and no OpenTelemetry module is imported. `startup` swaps in the
real recorder (`telemetry.otel.OtelRecorder`). A module-level seam, like `logging`'s, because the points
that record (the tool pipeline, the CCC client's `on_attempt`, the rate limiter's `on_error`) are built in
different layers that should not carry telemetry through their signatures.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

if TYPE_CHECKING:
    from ccc_mcp.api.client import AttemptRecord

__all__ = [
    "Recorder",
    "activate",
    "attempt_hook",
    "current",
    "limiter_error",
    "record_tool_call",
    "spans_recorded",
]


class Recorder:
    """What a recorder does; this base does nothing (telemetry off)."""

    enabled = False
    traces = False  # whether it records spans (the attempts' CLIENT spans)

    def tool_call(self, tool: str, outcome: str, seconds: float, upstream_attempts: int) -> None:
        """One tool call: its outcome code ("OK" or the error code) and how long it took."""

    def attempt(self, record: AttemptRecord, server_address: str, server_port: int | None) -> None:
        """One attempt of a CCC request, reported by the client after it ended."""

    def limiter_error(self, error: BaseException | None) -> None:
        """The rate limiter could not reach its storage."""


_current: Recorder = Recorder()


def current() -> Recorder:
    return _current


def activate(recorder: Recorder) -> Recorder:
    """Make `recorder` the one every point records to; returns the previous one (to restore it)."""
    global _current
    previous, _current = _current, recorder
    return previous


def record_tool_call(tool: str, outcome: str, seconds: float, upstream_attempts: int = 0) -> None:
    """Called once per tool call by `tools.base.run_tool`."""
    _current.tool_call(tool, outcome, seconds, upstream_attempts)


def limiter_error(error: BaseException | None = None) -> None:
    """The rate limiter's `on_error` callback: its storage failed (and it let the call through or not)."""
    _current.limiter_error(error)


def attempt_hook(endpoint: str) -> Callable[[AttemptRecord], None] | None:
    """The CCC client's `on_attempt` for requests to `endpoint`; None while telemetry is off, so the client
    does not even build a record."""
    if not _current.enabled:
        return None
    parts = urlsplit(endpoint)
    address, port = parts.hostname or endpoint, parts.port

    def on_attempt(record: AttemptRecord) -> None:
        _current.attempt(record, address, port)

    return on_attempt


def spans_recorded() -> bool:
    """Whether OpenTelemetry spans go anywhere: our recorder records traces, or a tracer provider is installed
    (ours, by `startup` with traces on, or an embedding application's). Without either, every span is a
    no-op, the trace context a client sends included, and the MCP SDK's span per message is work for nothing:
    `mcpserver.assembly` then opts out of it when it builds a server (architecture.md §6)."""
    if _current.traces:
        return True
    from opentelemetry import trace  # imported by the MCP SDK already

    return not isinstance(trace.get_tracer_provider(), trace.ProxyTracerProvider | trace.NoOpTracerProvider)
