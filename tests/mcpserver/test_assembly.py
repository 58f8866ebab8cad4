"""The server's lifespan owns the one CCC client: made when the first call needs it (architecture.md §4, "Cold
start"), so a server that only lists tools makes none, and closed when the server ends."""

from __future__ import annotations

import httpx
import pytest
from mcp import Client

from ccc_mcp.api.credentials import StaticCredentials
from ccc_mcp.config.settings import load_settings
from ccc_mcp.mcpserver.assembly import build_server
from tests.fakes import FAKE_ENDPOINT, TEST_KEY, FakeCcc

ARGS = {"instance_id": "ccc-demo", "user_id": "agent@ccc-demo"}


class ClosingTransport(httpx.MockTransport):
    """The fake CCC, counting how often the client closed its pool."""

    def __init__(self, fake: FakeCcc) -> None:
        super().__init__(fake.handle)
        self.closed = 0

    async def aclose(self) -> None:
        self.closed += 1


async def serve(transport: ClosingTransport, *, calls: int) -> None:
    server = build_server(load_settings(endpoint=FAKE_ENDPOINT), credentials=StaticCredentials(TEST_KEY), transport=transport)
    async with Client(server) as client:
        assert len((await client.list_tools()).tools) == 7
        for _ in range(calls):
            result = await client.call_tool("unmute_call", ARGS)
            assert not result.is_error, result.structured_content


async def test_a_server_that_served_calls_closes_its_client_once_when_it_ends() -> None:
    fake = FakeCcc()
    transport = ClosingTransport(fake)
    await serve(transport, calls=2)
    assert [seen.action for seen in fake.seen] == ["UnmuteCall", "UnmuteCall"], "one client served both calls"
    assert transport.closed == 1


async def test_a_server_that_only_listed_tools_made_no_client_to_close() -> None:
    fake = FakeCcc()
    transport = ClosingTransport(fake)
    await serve(transport, calls=0)
    assert fake.seen == []
    assert transport.closed == 0


def test_without_a_tracer_provider_the_sdks_span_per_message_is_taken_out() -> None:
    """No provider is installed (telemetry off, or metrics only): every span would be a no-op, so the SDK's
    span middleware goes (≈ 27 µs a call, docs/performance.md); the rest of the chain stays."""
    from mcp.server._otel import OpenTelemetryMiddleware

    settings = load_settings(endpoint=FAKE_ENDPOINT, sdk_fast_paths="on")
    server = build_server(settings, credentials=StaticCredentials(TEST_KEY))
    kinds = [type(step).__name__ for step in server.middleware]
    assert not any(isinstance(step, OpenTelemetryMiddleware) for step in server.middleware)
    assert kinds[-1] == "ToolNarrowing"


def test_with_the_sdk_fast_paths_off_the_sdks_span_per_message_stays() -> None:
    """CCC_MCP_SDK_FAST_PATHS=off: the span middleware's class is an SDK internal, so it is not looked for."""
    from mcp.server._otel import OpenTelemetryMiddleware

    settings = load_settings(endpoint=FAKE_ENDPOINT, sdk_fast_paths="off")
    server = build_server(settings, credentials=StaticCredentials(TEST_KEY))
    assert isinstance(server.middleware[0], OpenTelemetryMiddleware)


def test_with_a_tracer_provider_the_sdks_server_spans_are_kept(monkeypatch: pytest.MonkeyPatch) -> None:
    """A provider is installed (ours with traces on, or an embedding application's): the SDK's SERVER span per
    message is kept, the parent of our CCC attempt spans (docs/telemetry.md)."""
    from mcp.server._otel import OpenTelemetryMiddleware
    from opentelemetry import trace
    from opentelemetry.sdk.trace import TracerProvider

    monkeypatch.setattr(trace, "get_tracer_provider", lambda: TracerProvider())  # the global one is set only once
    server = build_server(load_settings(endpoint=FAKE_ENDPOINT), credentials=StaticCredentials(TEST_KEY))
    assert isinstance(server.middleware[0], OpenTelemetryMiddleware)


def test_while_our_recorder_records_traces_the_sdks_server_spans_are_kept() -> None:
    """Our telemetry may record traces without a global provider (started with `install_global=False`): the
    SDK's span per message still carries the client's trace context to our CCC attempt spans."""
    from mcp.server._otel import OpenTelemetryMiddleware

    from ccc_mcp.telemetry.recording import Recorder, activate

    class Tracing(Recorder):
        traces = True

    previous = activate(Tracing())
    try:
        server = build_server(load_settings(endpoint=FAKE_ENDPOINT), credentials=StaticCredentials(TEST_KEY))
    finally:
        activate(previous)
    assert isinstance(server.middleware[0], OpenTelemetryMiddleware)
