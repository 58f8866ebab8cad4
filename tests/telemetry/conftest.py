"""Fixtures for telemetry: a real OTLP/HTTP receiver on loopback, a simulator the test can inject faults
into, and `ccc-mcp serve` processes (HTTP and stdio) exporting to the receiver."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from mcp.client.stdio import StdioServerParameters

from ccc_mcp.simulator import Simulator, running_simulator
from tests.e2e.conftest import free_port, server_environment, wait_until_healthy
from tests.telemetry.receiver import OtlpReceiver, running_receiver

TOKEN = "telemetry-test-token"
SERVICE = "ccc-mcp-telemetry-test"
ARGS = {"instance_id": "ccc-demo", "user_id": "agent@ccc-demo"}
HEADERS = {"accept": "application/json, text/event-stream", "mcp-protocol-version": "2025-11-25"}


def bearer(token: str | None = TOKEN) -> dict[str, str]:
    """The Authorization header presenting `token`; none for None."""
    return {"authorization": f"Bearer {token}"} if token else {}
TRACE_ID = "4bf92f3577b34da6a3ce929d0e0e4736"
CALLER_SPAN = "00f067aa0ba902b7"
TRACEPARENT = f"00-{TRACE_ID}-{CALLER_SPAN}-01"
FAST = {"OTEL_BSP_SCHEDULE_DELAY": "50", "OTEL_METRIC_EXPORT_INTERVAL": "200"}
ONLY_AT_EXIT = {"OTEL_BSP_SCHEDULE_DELAY": "3600000", "OTEL_METRIC_EXPORT_INTERVAL": "3600000"}  # an hour
RETRIED_ONCE = {"kind": "error", "status": 503, "code": "ServiceUnavailable", "times": 1}


@pytest.fixture
async def simulator() -> AsyncIterator[Simulator]:
    async with running_simulator(host="127.0.0.1", port=0) as sim:
        yield sim


@pytest.fixture
async def receiver() -> AsyncIterator[OtlpReceiver]:
    async with running_receiver() as running:
        yield running


def otel_environment(receiver: OtlpReceiver | None, **extra: str) -> dict[str, str]:
    """OTLP to `receiver` (None: no endpoint), fast flushes unless `extra` says otherwise."""
    env = {"OTEL_SERVICE_NAME": SERVICE, **FAST, **extra}
    if receiver is not None:
        env["OTEL_EXPORTER_OTLP_ENDPOINT"] = receiver.endpoint
    return env


def tool_call(name: str, arguments: dict[str, Any], *, request_id: int = 1, traceparent: str | None = None) -> Any:
    """A raw JSON-RPC tools/call, optionally carrying W3C trace context in `_meta`."""
    params: dict[str, Any] = {"name": name, "arguments": arguments}
    if traceparent is not None:
        params["_meta"] = {"traceparent": traceparent}
    return {"jsonrpc": "2.0", "id": request_id, "method": "tools/call", "params": params}


def spawn(args: list[str], env: dict[str, str], log_path: Path) -> subprocess.Popen[bytes]:
    """A server process, stdout discarded (HTTP) and stderr (its log) to `log_path`."""
    with log_path.open("wb") as log:
        return subprocess.Popen([sys.executable, *args], env=env, stdout=subprocess.DEVNULL, stderr=log)


def http_args(port: int, *, via: str = "-m ccc_mcp") -> list[str]:
    return [*via.split(), "serve", "--transport", "http", "--port", str(port)]


@pytest.fixture
def otel_http_process(tmp_path: Path) -> Iterator[Callable[..., tuple[str, subprocess.Popen[bytes]]]]:
    """`start(sim, env) -> (base_url, process)`: `ccc-mcp serve --transport http`, token-protected; its log is
    `server_log(tmp_path)`."""
    started: list[subprocess.Popen[bytes]] = []

    def start(sim: Simulator, env: dict[str, str]) -> tuple[str, subprocess.Popen[bytes]]:
        port = free_port()
        log_path = tmp_path / f"server-{port}.log"
        environment = server_environment(sim, CCC_MCP_AUTH_TOKEN=TOKEN, **env)
        process = spawn(http_args(port), environment, log_path)
        started.append(process)
        base = f"http://127.0.0.1:{port}"
        wait_until_healthy(base, process)
        return base, process

    yield start
    for process in started:
        if process.poll() is None:
            process.kill()
            process.wait(timeout=10)


def stdio_params(env: dict[str, str], *python_flags: str) -> StdioServerParameters:
    """`python [flags] -m ccc_mcp serve --simulator` over stdio, with `env` over a clean environment."""
    environment = server_environment_without_simulator(env)
    return StdioServerParameters(
        command=sys.executable, args=[*python_flags, "-m", "ccc_mcp", "serve", "--simulator"], env=environment
    )


def server_environment_without_simulator(env: dict[str, str]) -> dict[str, str]:
    import os

    environment = {k: v for k, v in os.environ.items() if not k.startswith(("ALIBABA_CLOUD_", "CCC_", "OTEL_"))}
    return {**environment, "ALIBABA_CLOUD_ECS_METADATA_DISABLED": "true", **env}
