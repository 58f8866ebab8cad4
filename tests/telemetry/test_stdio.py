"""The real stdio server (`python -m ccc_mcp serve --simulator`), as a desktop client launches it.

Without an OTLP endpoint nothing of the OpenTelemetry SDK, its exporters or prometheus_client is imported:
the observable is `python -X importtime`, which lists on stderr every module the real process imported.
With an endpoint the same process exports its spans and points when the client hangs up (an hour between
exports, so only the exit flush can deliver them), continuing the trace context the client sent in `_meta`.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from mcp import Client
from mcp.client.stdio import stdio_client

from tests.e2e.conftest import imported
from tests.telemetry.conftest import (
    ARGS,
    CALLER_SPAN,
    ONLY_AT_EXIT,
    TRACE_ID,
    TRACEPARENT,
    otel_environment,
    stdio_params,
)
from tests.telemetry.receiver import OtlpReceiver

pytestmark = pytest.mark.e2e
HEAVY = ("opentelemetry.sdk", "opentelemetry.exporter", "prometheus_client", "opentelemetry.proto", "google.protobuf")


def heavy(modules: set[str]) -> set[str]:
    return {name for name in modules if name.startswith(HEAVY)}


async def serve_and_list(env: dict[str, str], stderr: Path, meta: dict[str, str] | None = None) -> None:
    with stderr.open("w") as errlog:
        async with Client(stdio_client(stdio_params(env, "-X", "importtime"), errlog=errlog)) as client:
            assert "unmute_call" in [tool.name for tool in (await client.list_tools()).tools]
            result = await client.call_tool("get_agent_status", ARGS, meta=meta)
            assert not result.is_error, result.structured_content


async def test_without_an_endpoint_nothing_of_the_sdk_is_imported(tmp_path: Path) -> None:
    stderr = tmp_path / "stderr.log"
    await serve_and_list(otel_environment(None), stderr)
    modules = imported(stderr.read_text())
    assert "ccc_mcp.tools.base" in modules, "the observable works: the server's own modules are listed"
    assert "opentelemetry.trace" in modules, "the MCP SDK's own dependency on the API is all there is"
    assert heavy(modules) == set()
    assert {"ccc_mcp.telemetry.otel", "ccc_mcp.telemetry.providers"}.isdisjoint(modules), "our SDK side stays out"


async def test_with_an_endpoint_the_exit_flushes_spans_and_points(tmp_path: Path, receiver: OtlpReceiver) -> None:
    stderr = tmp_path / "stderr.log"
    await serve_and_list(otel_environment(receiver, **ONLY_AT_EXIT), stderr, meta={"traceparent": TRACEPARENT})
    assert {"opentelemetry.sdk.trace", "opentelemetry.exporter.otlp.proto.http"} <= imported(stderr.read_text())
    await receiver.until(lambda: any(span.kind == "CLIENT" for span in receiver.spans), "the flushed spans")
    [server] = [span for span in receiver.spans if span.name == "tools/call get_agent_status"]
    [attempt] = [span for span in receiver.spans if span.kind == "CLIENT"]
    assert (server.trace_id, server.parent_id) == (TRACE_ID, CALLER_SPAN)
    assert (attempt.name, attempt.trace_id, attempt.parent_id) == ("CCC/PollUserStatus", TRACE_ID, server.span_id)
    await receiver.until(lambda: bool(receiver.exports), "the flushed metric points")
    assert receiver.total("ccc.tool.calls", {"gen_ai.tool.name": "get_agent_status", "ccc.outcome": "OK"}) == 1
