"""The real stdio server's start (`python -m ccc_mcp serve`, as a desktop client launches it) imports only what
answering `tools/list` needs (architecture.md §4, "Cold start"). The observable is `python -X importtime`,
which lists on stderr every module the process imported in its whole life: here, a start, one listing, the
idle time after it and the exit, with no tool call.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from mcp import Client
from mcp.client.stdio import StdioServerParameters, stdio_client
from mcp_types import LATEST_PROTOCOL_VERSION

from ccc_mcp.simulator import Simulator
from tests.e2e.conftest import imported, server_environment

pytestmark = pytest.mark.e2e

# Not needed to list tools: the `simulator` command's options (they read its environment), the simulator
# itself, the rate limiter (HTTP only), and the HTTP stack the first call imports.
NOT_FOR_LISTING = ("ccc_mcp.commands.simulator", "ccc_mcp.simulator", "ccc_mcp.policy.ratelimit")
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
            assert len((await client.list_tools()).tools) == 7
    modules = imported(stderr.read_text())
    assert {"ccc_mcp.cli", "ccc_mcp.tools.warmup"} <= modules, "the observable works: the server's modules are listed"
    assert {name for name in modules if name.startswith(NOT_FOR_LISTING)} == set()
    assert {name for name in modules if name.split(".")[0] in HTTP_STACK} == set()


# The real server's start, watched from inside: a collection callback notes, for each automatic collection,
# whether start-up was over (settling froze its objects), and the exit reports what it saw.
WATCHED_START = """
import atexit, gc, json, sys
from ccc_mcp.cli import main
during_start_up = []
atexit.register(lambda: print("COLLECTOR " + json.dumps({
    "collections_during_start_up": sum(during_start_up),
    "enabled": gc.isenabled(),
    "frozen": gc.get_freeze_count() > 0,
}), file=sys.stderr))
gc.collect()  # the count of allocations starts from zero: no collection is due when main() starts
gc.callbacks.append(lambda phase, info: phase == "start" and during_start_up.append(gc.get_freeze_count() == 0))
main(["serve"])
"""
LIST_TOOLS = [
    {"jsonrpc": "2.0", "id": 0, "method": "initialize", "params": {
        "protocolVersion": LATEST_PROTOCOL_VERSION, "capabilities": {}, "clientInfo": {"name": "test", "version": "1"},
    }},
    {"jsonrpc": "2.0", "method": "notifications/initialized"},
    {"jsonrpc": "2.0", "id": 1, "method": "tools/list"},
]  # fmt: skip


def test_the_collector_is_held_while_the_server_starts_and_on_once_it_serves(simulator: Simulator) -> None:
    """Start-up's objects live as long as the process: no automatic collection walks them while they are made
    (config/collector.py), and the server that answers is collecting again, its start-up objects frozen."""
    done = subprocess.run(
        [sys.executable, "-c", WATCHED_START],
        input="".join(json.dumps(message) + "\n" for message in LIST_TOOLS),
        env=server_environment(simulator),
        capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    answers = [json.loads(line) for line in done.stdout.splitlines()]
    assert len(answers[-1]["result"]["tools"]) == 7
    [report] = [line.removeprefix("COLLECTOR ") for line in done.stderr.splitlines() if line.startswith("COLLECTOR ")]
    assert json.loads(report) == {"collections_during_start_up": 0, "enabled": True, "frozen": True}
