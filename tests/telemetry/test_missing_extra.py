"""An OTLP endpoint set but the [otel] extra not installed: one WARNING line naming the exact pip command,
then the server serves as usual; /metrics answers 404 with the same command."""

from __future__ import annotations

import sys
from pathlib import Path

import httpx
import pytest
from mcp import Client
from mcp.client.stdio import StdioServerParameters, stdio_client

from ccc_mcp.simulator import Simulator
from tests.e2e.conftest import free_port, server_environment, wait_until_healthy
from tests.telemetry.conftest import (
    ARGS,
    TOKEN,
    bearer,
    http_args,
    otel_environment,
    server_environment_without_simulator,
    spawn,
)
from tests.telemetry.receiver import OtlpReceiver

pytestmark = pytest.mark.e2e
HIDE_EXTRA = str(Path(__file__).with_name("hide_extra.py"))
PIP = "pip install 'ccc-mcp-server[otel]'"


def warnings_naming_pip(log: str) -> list[str]:
    return [line for line in log.splitlines() if " WARNING " in line and PIP in line]


async def test_stdio_warns_once_and_serves(tmp_path: Path, receiver: OtlpReceiver) -> None:
    env = server_environment_without_simulator(otel_environment(receiver))
    params = StdioServerParameters(command=sys.executable, args=[HIDE_EXTRA, "serve", "--simulator"], env=env)
    stderr = tmp_path / "stderr.log"
    with stderr.open("w") as errlog:
        async with Client(stdio_client(params, errlog=errlog)) as client:
            result = await client.call_tool("get_agent_status", ARGS)
    assert not result.is_error
    assert len(warnings_naming_pip(stderr.read_text())) == 1
    assert receiver.raw == [], "nothing was exported"


async def test_http_warns_once_serves_and_metrics_names_the_fix(
    tmp_path: Path, simulator: Simulator, receiver: OtlpReceiver
) -> None:
    port = free_port()
    log_path = tmp_path / "server.log"
    env = server_environment(simulator, CCC_MCP_AUTH_TOKEN=TOKEN, **otel_environment(receiver))
    process = spawn(http_args(port, via=HIDE_EXTRA), env, log_path)
    try:
        base = f"http://127.0.0.1:{port}"
        wait_until_healthy(base, process)
        async with httpx.AsyncClient(timeout=10) as http:
            metrics = await http.get(f"{base}/metrics", headers=bearer())
    finally:
        process.terminate()
        process.wait(timeout=15)
    assert metrics.status_code == 404
    assert metrics.json()["error"] == "metrics_unavailable"
    assert PIP in metrics.json()["reason"]
    assert len(warnings_naming_pip(log_path.read_text())) == 1
