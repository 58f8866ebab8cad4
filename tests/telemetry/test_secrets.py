"""No secret in telemetry: a real `ccc-mcp serve --transport http` process signs with canary secrets (a
long-term AccessKey secret, or an STS secret and security token) and is called with a canary bearer token;
not one of them appears in any byte it exported over OTLP (spans, metric points, resources) nor in /metrics.

The calls are the ones that put the most on the wire: a success retried once (two signatures, two nonces),
a call CCC refuses, and one with an argument the tool does not take. The first must succeed, so the
canaries really were in play (the simulator checks the signature and the security token)."""

from __future__ import annotations

import asyncio
import signal
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from ccc_mcp.simulator import Simulator
from tests.e2e.conftest import free_port, server_environment, wait_until_healthy
from tests.reliability.conftest import (
    CANARIES,
    CANARY_STS_SECRET,
    CANARY_STS_TOKEN,
    CANARY_TOKEN,
    SIGNINGS,
    STS_ACCESS_KEY_ID,
    Signing,
    running_upstream,
)
from tests.telemetry.conftest import (
    ARGS,
    HEADERS,
    RETRIED_ONCE,
    TRACEPARENT,
    bearer,
    http_args,
    otel_environment,
    spawn,
    tool_call,
)
from tests.telemetry.receiver import OtlpReceiver

pytestmark = pytest.mark.e2e
AUTH = {**HEADERS, **bearer(CANARY_TOKEN)}
CALLS = [
    ("unmute_call", {**ARGS, "job_id": "job-demo-1"}),
    ("get_agent_status", {**ARGS, "user_id": "nobody@ccc-demo"}),
    ("mute_call", {**ARGS, "device_id": "ACC-1"}),
]


@pytest.fixture
async def simulator() -> AsyncIterator[Simulator]:
    """The simulator of the canary scenario: the demo AccessKey's secret and an STS credential are canaries."""
    async with running_upstream() as (sim, _):
        yield sim


def environment(sim: Simulator, signing: Signing, receiver: OtlpReceiver) -> dict[str, str]:
    extra = {"CCC_MCP_AUTH_TOKEN": CANARY_TOKEN, "CCC_MCP_RATE_LIMIT": "0", **otel_environment(receiver)}
    if signing == "sts":
        extra |= {"ALIBABA_CLOUD_ACCESS_KEY_ID": STS_ACCESS_KEY_ID, "ALIBABA_CLOUD_ACCESS_KEY_SECRET": CANARY_STS_SECRET,
                  "ALIBABA_CLOUD_SECURITY_TOKEN": CANARY_STS_TOKEN}  # fmt: skip
    return server_environment(sim, **extra)  # the long-term key: the scenario's, whose secret is the canary


def leaked(data: bytes) -> list[str]:
    return [kind for kind, canary in CANARIES.items() if canary.encode() in data]


@pytest.mark.parametrize("signing", SIGNINGS)
async def test_no_secret_in_exported_spans_points_or_metrics_page(
    simulator: Simulator, receiver: OtlpReceiver, tmp_path: Path, signing: Signing
) -> None:
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    process = spawn(http_args(port), environment(simulator, signing, receiver), tmp_path / "server.log")
    try:
        wait_until_healthy(base, process)
        simulator.faults.add(RETRIED_ONCE)
        async with httpx.AsyncClient(timeout=30) as http:
            answers = [
                (await http.post(f"{base}/mcp", json=tool_call(name, args, request_id=n, traceparent=TRACEPARENT),
                                 headers=AUTH)).json()["result"]["structuredContent"]
                for n, (name, args) in enumerate(CALLS, 1)
            ]  # fmt: skip
            page = await http.get(f"{base}/metrics", headers=AUTH)
    finally:
        process.send_signal(signal.SIGTERM)
        await asyncio.to_thread(process.wait, 30)  # its flush is answered by the receiver on this loop

    assert [answer["ok"] for answer in answers] == [True, False, False]
    assert simulator.stats.outcomes["fault:error"] == 1, "the retry signed a second request"
    assert page.status_code == 200
    assert "ccc_tool_calls_total{" in page.text
    assert len([span for span in receiver.spans if span.kind == "CLIENT"]) >= 3, "attempt spans were exported"
    assert receiver.total("ccc.tool.calls") == len(CALLS), "metric points were exported"
    assert leaked(b"".join(receiver.raw)) == []
    assert leaked(page.content) == []
