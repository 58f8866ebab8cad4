"""The real `ccc-mcp` process over stdio, driven by the MCP SDK's client, against the simulator:
what a desktop client launches, end to end."""

from __future__ import annotations

import os
import sys
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from mcp import Client
from mcp.client.stdio import StdioServerParameters, stdio_client

from ccc_mcp.simulator import Simulator, running_simulator
from tests.environment import FAST_PATHS, environment_without

pytestmark = pytest.mark.e2e

CANARY = "canary-SECRET-stdio-77a1"


@pytest.fixture
async def simulator() -> AsyncIterator[Simulator]:
    async with running_simulator(host="127.0.0.1", port=0) as sim:
        yield sim


def server_params(sim: Simulator, *extra: str, secret: str | None = None, **env: str) -> StdioServerParameters:
    environment = environment_without("ALIBABA_CLOUD_", "CCC_")
    environment.update({
        "ALIBABA_CLOUD_ECS_METADATA_DISABLED": "true",
        "ALIBABA_CLOUD_ACCESS_KEY_ID": sim.access_key_id,
        "ALIBABA_CLOUD_ACCESS_KEY_SECRET": secret or sim.access_key_secret,
        "CCC_ENDPOINT": sim.endpoint,
        "CCC_MCP_LOG_LEVEL": "DEBUG",
        **env,
    })
    return StdioServerParameters(command=sys.executable, args=["-m", "ccc_mcp", *extra], env=environment)


async def test_unmute_over_stdio_in_both_protocol_eras(simulator: Simulator, protocol_mode: str) -> None:
    async with Client(server_params(simulator), mode=protocol_mode) as client:
        names = [tool.name for tool in (await client.list_tools()).tools]
        assert "unmute_call" in names
        result = await client.call_tool("unmute_call", {"instance_id": "ccc-demo", "user_id": "agent@ccc-demo"})
        out: dict[str, Any] = result.structured_content or {}
        assert not result.is_error, out
        assert out["ok"] is True
        assert out["user_context"]["user_state"] == "TALKING"
        agent_channels = [c for c in out["call_context"]["channel_contexts"] if c.get("user_id") == "agent@ccc-demo"]
        assert agent_channels
        assert agent_channels[0]["flags"] == []

        idle = await client.call_tool("unmute_call", {"instance_id": "ccc-demo", "user_id": "idle@ccc-demo"})
        assert idle.is_error
        assert (idle.structured_content or {})["error"]["code"] == "InvalidOperation.UserState"


async def test_serve_subcommand_with_a_default_instance(simulator: Simulator) -> None:
    params = server_params(simulator, "serve", "--instance-id", "ccc-demo")
    async with Client(params) as client:
        for tool in (await client.list_tools()).tools:
            assert "instance_id" not in tool.input_schema["required"], tool.name
        result = await client.call_tool("unmute_call", {"user_id": "agent@ccc-demo"})
        assert not result.is_error


async def test_wrong_secret_is_a_structured_error_and_never_leaks(simulator: Simulator, tmp_path: Path) -> None:
    """A canary secret: not in any result, not in the server's stderr log even at DEBUG."""
    log_path = tmp_path / "stderr.log"
    with log_path.open("w") as errlog:
        async with Client(stdio_client(server_params(simulator, secret=CANARY), errlog=errlog)) as client:
            arguments = {"instance_id": "ccc-demo", "user_id": "agent@ccc-demo"}
            result = await client.call_tool("unmute_call", arguments)
            bad = await client.call_tool("unmute_call", {**arguments, "job_id": 42})
    assert result.is_error
    assert (result.structured_content or {})["error"]["code"] == "SignatureDoesNotMatch"
    assert bad.is_error
    log = log_path.read_text()
    off = os.environ.get(FAST_PATHS) == "off"  # CI's second pass (.ci/run)
    assert ("stdio transport: the MCP SDK's (SDK fast paths off)" in log) == off, "the switch reached the server"
    assert "actions=UnmuteCall" in log, "the call was logged to stderr"
    assert "outcome=SignatureDoesNotMatch" in log
    for text in (result.model_dump_json(), bad.model_dump_json(), log):
        assert CANARY not in text
        assert "Signature=" not in text


async def test_serve_simulator_mode_needs_no_credentials() -> None:
    environment = environment_without("ALIBABA_CLOUD_", "CCC_")
    environment["ALIBABA_CLOUD_ECS_METADATA_DISABLED"] = "true"
    params = StdioServerParameters(command=sys.executable, args=["-m", "ccc_mcp", "serve", "--simulator"],
                                   env=environment)
    async with Client(params) as client:
        result = await client.call_tool("unmute_call", {"instance_id": "ccc-demo", "user_id": "agent@ccc-demo"})
        assert not result.is_error, result.structured_content
