"""A real server in memory against a real simulator on loopback: what tool tests use when the behaviour they
pin is the simulator's CCC (its scenario, its state machine), not a scripted fake."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from mcp import Client

from ccc_mcp.api.credentials import StaticCredentials
from ccc_mcp.api.signing import SigningKey
from ccc_mcp.config.settings import load_settings
from ccc_mcp.mcpserver.assembly import build_server
from ccc_mcp.simulator import Simulator, running_simulator

__all__ = ["against_the_simulator"]


@asynccontextmanager
async def against_the_simulator(
    scenario: Any = None, mode: str = "auto", faults: Any = (), **settings: Any
) -> AsyncIterator[tuple[Client, Simulator]]:
    """An in-memory MCP client of a server whose upstream is a real simulator (default scenario unless
    `scenario` is given, with `faults`); `settings` are the server's."""
    async with running_simulator(port=0, scenario=scenario, faults=faults) as sim:
        configured = load_settings(endpoint=sim.endpoint, instance_id="ccc-demo", audit_log="off", **settings)
        key = StaticCredentials(SigningKey(sim.access_key_id, sim.access_key_secret))
        async with Client(build_server(configured, credentials=key), mode=mode) as client:
            yield client, sim
