"""/metrics on the HTTP transport: the telemetry metrics in Prometheus text, behind the same authentication
as /mcp — the static bearer token, or an OAuth JWT with the required scopes — unless CCC_MCP_METRICS_PUBLIC;
/healthz stays open. The real HTTP app on a loopback port in front of the simulator, with telemetry started
in-process (the Prometheus reader only: no OTLP endpoint, global providers left alone)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette
from starlette.responses import JSONResponse
from starlette.routing import Route

from ccc_mcp.api.credentials import StaticCredentials
from ccc_mcp.api.signing import SigningKey
from ccc_mcp.config.settings import load_settings
from ccc_mcp.net.asgi import bind_socket, hosted
from ccc_mcp.simulator import Simulator
from ccc_mcp.telemetry.startup import start_telemetry, stop_telemetry
from ccc_mcp.transports.streamable_http import build_http_app
from tests.telemetry.conftest import ARGS, HEADERS, TOKEN, bearer, tool_call
from tests.transports.test_oauth import ISSUER, AuthorizationServer

RESOURCE = "https://mcp.example.test/mcp"
SCOPE = "ccc:calls"


@pytest.fixture
def telemetry_on() -> Iterator[None]:
    assert start_telemetry("http", {}, install_global=False)
    yield
    stop_telemetry()


@pytest.fixture
def http_app(simulator: Simulator, telemetry_on: None) -> Callable[..., Any]:
    @asynccontextmanager
    async def start(**overrides: Any) -> AsyncIterator[str]:
        settings = load_settings(endpoint=simulator.endpoint, audit_log="off", **overrides)
        credentials = StaticCredentials(SigningKey(simulator.access_key_id, simulator.access_key_secret))
        app = build_http_app(settings, credentials)
        async with hosted(app, bind_socket("127.0.0.1", 0), lifespan="on", name="metrics") as (host, port):
            yield f"http://{host}:{port}"

    return start


async def get(url: str, token: str | None = None, **headers: str) -> httpx.Response:
    async with httpx.AsyncClient(timeout=10) as http:
        return await http.get(url, headers={**headers, **bearer(token)})


async def call_unmute(base: str, token: str | None, **headers: str) -> None:
    async with httpx.AsyncClient(timeout=30) as http:
        body = tool_call("unmute_call", {**ARGS, "job_id": "job-demo-1"})
        response = await http.post(f"{base}/mcp", json=body, headers={**HEADERS, **bearer(token), **headers})
    assert response.json()["result"]["structuredContent"]["ok"] is True


async def test_the_static_token_guards_metrics_as_it_guards_mcp(http_app: Callable[..., Any]) -> None:
    async with http_app(auth_token=TOKEN) as base:
        await call_unmute(base, TOKEN)
        without, wrong, with_token = [await get(f"{base}/metrics", token) for token in (None, "nope", TOKEN)]
        health = await get(f"{base}/healthz")
    assert (without.status_code, wrong.status_code, with_token.status_code) == (401, 401, 200)
    assert health.status_code == 200, "/healthz stays open"
    assert "# TYPE ccc_tool_calls_total counter" in with_token.text
    assert 'ccc_tool_calls_total{ccc_outcome="OK",gen_ai_tool_name="unmute_call"' in with_token.text


async def test_metrics_public_opens_metrics_only(http_app: Callable[..., Any]) -> None:
    async with http_app(auth_token=TOKEN, metrics_public=True) as base:
        await call_unmute(base, TOKEN)
        metrics = await get(f"{base}/metrics")
        async with httpx.AsyncClient(timeout=10) as http:
            mcp = await http.post(f"{base}/mcp", json=tool_call("list_agents", {}), headers=HEADERS)
    assert metrics.status_code == 200
    assert "ccc_tool_calls_total{" in metrics.text
    assert mcp.status_code == 401, "/mcp still needs the token"


@pytest.fixture
async def authorization_server() -> AsyncIterator[AuthorizationServer]:
    server = AuthorizationServer()

    async def jwks(_: Any) -> JSONResponse:
        return JSONResponse(server.jwks)

    async with hosted(Starlette(routes=[Route("/jwks.json", jwks)]), bind_socket("127.0.0.1", 0)) as (host, port):
        server.url = f"http://{host}:{port}/jwks.json"
        yield server


async def test_oauth_guards_metrics_with_the_sdk_check_of_mcp(
    http_app: Callable[..., Any], authorization_server: AuthorizationServer
) -> None:
    oauth = {"jwks_url": authorization_server.url, "jwt_issuer": ISSUER, "resource_url": RESOURCE,
             "required_scopes": SCOPE}  # fmt: skip
    good = authorization_server.token(audience=RESOURCE)
    other_key = authorization_server.token(audience=RESOURCE, key=authorization_server.other_key)
    async with http_app(**oauth) as base:
        await call_unmute(base, good)
        without, forged, with_token = [await get(f"{base}/metrics", t) for t in (None, other_key, good)]
    assert (without.status_code, forged.status_code, with_token.status_code) == (401, 401, 200)
    assert "resource_metadata=" in without.headers["www-authenticate"]
    assert "ccc_tool_calls_total{" in with_token.text


async def test_oauth_with_metrics_public(
    http_app: Callable[..., Any], authorization_server: AuthorizationServer
) -> None:
    oauth = {"jwks_url": authorization_server.url, "jwt_issuer": ISSUER, "resource_url": RESOURCE}
    async with http_app(**oauth, metrics_public=True) as base:
        metrics = await get(f"{base}/metrics")
    assert metrics.status_code == 200
