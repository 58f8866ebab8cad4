"""`GET /mcp` on the stateless server is refused with 405 and `Allow: POST`, in every protocol era and with the
SDK fast paths on or off: a stateless server has nothing to send on a stream of its own, and the SDK's
handshake-era path would hold one open per GET. The Host and Origin checks, and the bearer token, come first."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx
import pytest

EVENT_STREAM = {"accept": "text/event-stream"}


@pytest.mark.parametrize("fast_paths", ["on", "off"])
@pytest.mark.parametrize("version", [None, "2025-03-26", "2025-11-25", "2026-07-28"])
async def test_a_get_is_refused_with_the_method_to_use(
    http_server: Callable[..., Any], fast_paths: str, version: str | None
) -> None:
    era = {"mcp-protocol-version": version} if version else {}
    async with http_server(sdk_fast_paths=fast_paths) as running, httpx.AsyncClient(timeout=30) as http:
        answer = await _get(http, running.mcp_url, {**EVENT_STREAM, **era})
        async with running.client(mode="auto" if version == "2026-07-28" else "legacy") as client:
            listed = (await client.list_tools()).tools  # POST, the method named, is served
    assert answer == (405, "POST", b"")
    assert listed


@pytest.mark.parametrize(("header", "status"), [({"host": "evil.example"}, 421), ({"origin": "https://evil.example"}, 403)])
async def test_host_and_origin_are_checked_first(
    http_server: Callable[..., Any], header: dict[str, str], status: int
) -> None:
    async with http_server() as running, httpx.AsyncClient(timeout=30) as http:
        answer = await _get(http, running.mcp_url, {**EVENT_STREAM, **header})
    assert answer[0] == status


async def test_the_bearer_token_is_checked_first(http_server: Callable[..., Any]) -> None:
    async with http_server(auth_token="s3cret-token") as running, httpx.AsyncClient(timeout=30) as http:
        anonymous = await _get(http, running.mcp_url, EVENT_STREAM)
        known = await _get(http, running.mcp_url, {**EVENT_STREAM, "authorization": "Bearer s3cret-token"})
    assert (anonymous[0], known[0]) == (401, 405)


async def _get(http: httpx.AsyncClient, url: str, headers: dict[str, str]) -> tuple[int, str | None, bytes]:
    """Status, Allow and body of a GET; the body only once it is known not to be an event stream, which would
    never end."""
    async with http.stream("GET", url, headers=headers) as response:
        streaming = response.headers.get("content-type", "").startswith("text/event-stream")
        body = b"(an event stream)" if streaming else await response.aread()
        return response.status_code, response.headers.get("allow"), body
