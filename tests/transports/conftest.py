"""Fixtures for the HTTP transport: the real ASGI application served by uvicorn on a loopback port, configured
as `ccc-mcp serve` configures it, with the fake CCC behind it, and MCP clients that present (or withhold)
credentials."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import httpx
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


# Raw requests in either protocol era, for checks that the two request paths behave alike.

ARGS = {"instance_id": "ccc-test", "user_id": "agent@ccc-test"}
HANDSHAKE_ERA = "2025-11-25"  # answered in the request's own exchange (adapter.answer_requests_in_their_exchange)
STATELESS_ERA = "2026-07-28"  # answered by the SDK's own 2026-era path
ERAS = (HANDSHAKE_ERA, STATELESS_ERA)


def headers(era: str, tool: str | None = "unmute_call", **extra: str) -> dict[str, str]:
    """A raw POST's headers in a protocol era, plus `extra`. A 2026-era request repeats its method (and the
    tool it calls) in headers: `tool` None for one that is not a `tools/call`."""
    routing = {"mcp-method": "tools/call", "mcp-name": tool} if era == STATELESS_ERA and tool else {}
    return {**JSON_HEADERS, "mcp-protocol-version": era, **routing, **extra}


def tool_call(
    request_id: Any, era: str = HANDSHAKE_ERA, name: str = "unmute_call", arguments: dict[str, Any] | None = None
) -> dict[str, Any]:
    """A `tools/call` as a raw POST body of the given era (a 2026-era request carries its envelope in _meta)."""
    params: dict[str, Any] = {"name": name, "arguments": ARGS if arguments is None else arguments}
    if era == STATELESS_ERA:
        params["_meta"] = {"io.modelcontextprotocol/protocolVersion": era,
                           "io.modelcontextprotocol/clientCapabilities": {}}  # fmt: skip
    return {"jsonrpc": "2.0", "id": request_id, "method": "tools/call", "params": params}


def structured(response: httpx.Response) -> dict[str, Any]:
    """A tool call's structured result from a raw answer."""
    result: dict[str, Any] = response.json()["result"]["structuredContent"]
    return result
