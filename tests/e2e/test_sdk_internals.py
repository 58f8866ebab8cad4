"""`ccc-mcp serve` on an MCP SDK release that moved what our fast paths rely on (docs/architecture.md §4,
"Depending on SDK internals"). Each internal is renamed throughout the installed SDK in turn
(tests/sdk_renamed.py): over stdio and over HTTP, in both protocol eras, the server still lists its tools and
answers a call, and says once, in a WARNING naming the SDK's version and the piece, that the fast path which
needed it is off. With CCC_MCP_SDK_FAST_PATHS=off, it reaches for none of them, on an SDK missing them all."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from importlib import metadata
from pathlib import Path
from typing import Any

import anyio
import pytest
from mcp import Client
from mcp.client.stdio import StdioServerParameters, stdio_client

from ccc_mcp.simulator import Simulator, simulator_in_thread
from tests.e2e.conftest import free_port, server_environment, wait_until_healthy

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parents[2]
RENAMED = ROOT / "tests" / "sdk_renamed.py"
ERAS = {"2025-11-25 handshake": "legacy", "2026-07-28": "auto"}
TOOLS = {"list_agents", "get_agent_status", "unmute_call", "mute_call", "hold_call", "retrieve_call"}
GUARD = "ccc_mcp.mcpserver.internals"

# Each SDK internal a fast path reaches for, and the transports whose fast path does: there, one WARNING
# names it; elsewhere nothing is said.
INTERNALS: dict[str, set[str]] = {
    "_serve_legacy_stream": {"stdio"},
    "_serve_modern_stream": {"stdio"},
    "_has_modern_envelope": {"stdio"},
    "_PRE_REQUEST_REPLAY_LIMIT": {"stdio"},
    "_handle_stateless_request": {"http"},
    "_handle_request": {"http"},
    "_lifespan_state": {"http"},
    "_SingleExchangeDispatchContext": {"http"},
    "OpenTelemetryMiddleware": {"stdio", "http"},
    "_lowlevel_server": set(),  # relied on by nothing: the low-level server is reached through public API
}


@pytest.fixture(scope="module")
def simulator() -> Iterator[Simulator]:
    """One simulator for the module (the calls here only look), in a thread of its own."""
    with simulator_in_thread() as sim:
        yield sim


def warnings(log: str) -> list[str]:
    return [line for line in log.splitlines() if " WARNING " in line and GUARD in line]


async def stdio_session(sim: Simulator, renamed: str, mode: str, log: Path, **env: str) -> None:
    """One stdio connection in `mode`'s era: tools/list and a tools/call, checked."""
    argv = [str(RENAMED), renamed, "--", "serve", "--log-level", "DEBUG"]
    params = StdioServerParameters(command=sys.executable, args=argv, env=server_environment(sim, **env))
    with log.open("w") as errlog:
        async with Client(stdio_client(params, errlog=errlog), mode=mode) as client:  # type: ignore[arg-type]
            await answers_correctly(client)


async def http_sessions(sim: Simulator, renamed: str, log: Path, **env: str) -> None:
    """`serve --transport http` as a process, a client of each era: tools/list and a tools/call, checked."""
    port = free_port()
    argv = [sys.executable, str(RENAMED), renamed, "--", "serve", "--transport", "http", "--port", str(port)]
    with log.open("wb") as errors:
        process = await anyio.to_thread.run_sync(
            lambda: subprocess.Popen(argv, env=server_environment(sim, **env), stdout=subprocess.DEVNULL, stderr=errors)
        )
    try:
        base = f"http://127.0.0.1:{port}"
        await anyio.to_thread.run_sync(wait_until_healthy, base, process)
        for mode in ERAS.values():
            async with Client(f"{base}/mcp", mode=mode) as client:  # type: ignore[arg-type]
                await answers_correctly(client)
    finally:
        process.terminate()
        await anyio.to_thread.run_sync(process.wait, 15)


async def answers_correctly(client: Client) -> None:
    assert {tool.name for tool in (await client.list_tools()).tools} >= TOOLS
    result = await client.call_tool("get_agent_status", {"instance_id": "ccc-demo", "user_id": "agent@ccc-demo"})
    out: dict[str, Any] = result.structured_content or {}
    assert not result.is_error, out
    assert (out["ok"], out["user_context"]["user_id"]) == (True, "agent@ccc-demo")


async def serve_everywhere(sim: Simulator, renamed: str, tmp_path: Path, **env: str) -> dict[str, str]:
    """stdio in each era and HTTP (both eras, one process), at once; each process's log, by transport."""
    logs = {"stdio": [tmp_path / f"stdio-{mode}.log" for mode in ERAS.values()], "http": [tmp_path / "http.log"]}
    async with anyio.create_task_group() as tasks:
        for mode, log in zip(ERAS.values(), logs["stdio"], strict=True):
            tasks.start_soon(lambda mode=mode, log=log: stdio_session(sim, renamed, mode, log, **env))
        tasks.start_soon(lambda: http_sessions(sim, renamed, logs["http"][0], **env))
    return {f"{kind} {path.stem}": path.read_text() for kind, paths in logs.items() for path in paths}


@pytest.mark.parametrize("internal", list(INTERNALS))
async def test_without_one_internal_every_transport_answers_and_says_so_once(
    simulator: Simulator, tmp_path: Path, internal: str
) -> None:
    logs = await serve_everywhere(simulator, internal, tmp_path, CCC_MCP_SDK_FAST_PATHS="on")
    for process, log in logs.items():
        said = warnings(log)
        if process.split()[0] in INTERNALS[internal]:
            assert len(said) == 1, f"{process}: {said}"
            assert f"MCP SDK {metadata.version('mcp')}: " in said[0], said[0]
            assert internal in said[0], said[0]
        else:
            assert said == [], f"{process} relies on no {internal}: {said}"


async def test_without_every_internal_the_fast_paths_are_off_and_each_says_so_once(
    simulator: Simulator, tmp_path: Path
) -> None:
    """An SDK that moved everything: each transport's fast paths fall back, each said once, and it answers."""
    logs = await serve_everywhere(simulator, ",".join(INTERNALS), tmp_path, CCC_MCP_SDK_FAST_PATHS="on")
    expected = {"stdio": ["choosing the stdio connection's era", "span per message"],
                "http": ["in their HTTP exchange", "span per message"]}  # fmt: skip
    for process, log in logs.items():
        said = warnings(log)
        assert [[fast_path in line for fast_path in expected[process.split()[0]]] for line in said] in (
            [[True, False], [False, True]], [[False, True], [True, False]]
        ), f"{process}: {said}"  # fmt: skip


async def test_with_the_switch_off_no_internal_is_reached_for(simulator: Simulator, tmp_path: Path) -> None:
    """CCC_MCP_SDK_FAST_PATHS=off on an SDK without any of them: not one warning, both transports answer in
    both eras, stdio on the SDK's own transport."""
    logs = await serve_everywhere(simulator, ",".join(INTERNALS), tmp_path, CCC_MCP_SDK_FAST_PATHS="off")
    for process, log in logs.items():
        assert warnings(log) == [], process
        assert "MCP SDK fast paths off (CCC_MCP_SDK_FAST_PATHS=off)" in log, process
        if process.startswith("stdio"):
            assert "stdio transport: the MCP SDK's (SDK fast paths off)" in log
