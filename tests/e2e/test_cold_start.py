"""The real stdio server's start (`python -m ccc_mcp serve`, as a desktop client launches it) imports only what
answering `tools/list` needs (architecture.md §4, "Cold start"). The observable is `python -X importtime`,
which lists on stderr every module the process imported in its whole life: here, a start, one listing, the
idle time after it and the exit, with no tool call.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from mcp import Client
from mcp.client.stdio import StdioServerParameters, stdio_client

from ccc_mcp.simulator import Simulator
from tests.e2e.conftest import imported, server_environment

pytestmark = pytest.mark.e2e

# Not needed to list tools: the `simulator` command's options (they read its environment), the simulator
# itself, and the HTTP stack the first call imports.
NOT_FOR_LISTING = ("ccc_mcp.commands.simulator", "ccc_mcp.simulator")
HTTP_STACK = frozenset({"httpx", "httpx_aiohttp", "aiohttp"})


async def test_listing_tools_imports_neither_the_simulator_command_nor_the_http_stack(
    simulator: Simulator, tmp_path: Path
) -> None:
    stderr = tmp_path / "stderr.log"
    params = StdioServerParameters(
        command=sys.executable, args=["-X", "importtime", "-m", "ccc_mcp", "serve"], env=server_environment(simulator)
    )
    with stderr.open("w") as errlog:
        async with Client(stdio_client(params, errlog=errlog)) as client:
            assert len((await client.list_tools()).tools) == 6
    modules = imported(stderr.read_text())
    assert {"ccc_mcp.cli", "ccc_mcp.tools.warmup"} <= modules, "the observable works: the server's modules are listed"
    assert {name for name in modules if name.startswith(NOT_FOR_LISTING)} == set()
    assert {name for name in modules if name.split(".")[0] in HTTP_STACK} == set()
