"""Fixtures for the HTTP transport: the real ASGI application served by uvicorn on a loopback port, configured
as `ccc-mcp serve` configures it, with the fake CCC behind it, and MCP clients that present (or withhold)
credentials."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import httpx2
import pytest
from mcp import Client
from mcp.client.streamable_http import streamable_http_client

from ccc_mcp.api.credentials import CredentialsProvider, StaticCredentials
from ccc_mcp.commands.serve import http_options
from ccc_mcp.config.settings import load_settings
from ccc_mcp.net.asgi import bind_socket, hosted
from ccc_mcp.transports.streamable_http import build_http_app
from tests.fakes import FAKE_ENDPOINT, TEST_KEY, FakeCcc


@dataclass
class RunningHttp:
    base: str

    @property
    def mcp_url(self) -> str:
        return f"{self.base}/mcp"

    @asynccontextmanager
    async def client(
        self, token: str | None = None, mode: str = "auto", headers: dict[str, str] | None = None
    ) -> AsyncIterator[Client]:
        headers = {**({"Authorization": f"Bearer {token}"} if token else {}), **(headers or {})}
        async with httpx2.AsyncClient(headers=headers, timeout=30) as http, Client(
            streamable_http_client(self.mcp_url, http_client=http), mode=mode
        ) as client:
            yield client


@pytest.fixture
def http_server(fake_ccc: FakeCcc) -> Callable[..., Any]:
    """`async with http_server(**settings) as running:` the HTTP app on a free loopback port."""

    @asynccontextmanager
    async def start(credentials: CredentialsProvider | None = None, **overrides: Any) -> AsyncIterator[RunningHttp]:
        overrides.setdefault("endpoint", FAKE_ENDPOINT)
        overrides.setdefault("audit_log", "off")
        settings = load_settings(**overrides)
        app = build_http_app(settings, credentials or StaticCredentials(TEST_KEY), upstream_transport=fake_ccc.transport())
        sock = bind_socket("127.0.0.1", 0)
        # uvicorn as `ccc-mcp serve` runs it: whom X-Forwarded-For is believed from, the read deadlines.
        async with hosted(app, sock, lifespan="on", name="ccc-mcp-http", **http_options(settings)) as (host, port):
            yield RunningHttp(f"http://{host}:{port}")

    return start


def initialize_body() -> dict[str, Any]:
    """A legacy-era initialize request, for raw-HTTP checks of the transport's gates."""
    return {
        "jsonrpc": "2.0", "id": 1, "method": "initialize",
        "params": {"protocolVersion": "2025-11-25", "capabilities": {},
                   "clientInfo": {"name": "raw", "version": "0"}},
    }


JSON_HEADERS = {"content-type": "application/json", "accept": "application/json, text/event-stream"}
