"""What a web page can make a visitor's browser send to a server on their loopback: a POST with
`Content-Type: text/plain` and no preflight, from a foreign Origin, or after DNS rebinding under a foreign Host.
Each is refused before anything acts on it — above all before the give-up watcher, which once cancelled a
victim's call for a refused `notifications/cancelled` — on every route but /healthz; Host and Origin are
matched exactly, never by prefix."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.fakes import FakeCcc, HeldUpstream
from tests.transports.conftest import ERAS, JSON_HEADERS, headers, initialize_body, structured, tool_call


def cancellation(request_id: Any) -> dict[str, Any]:
    return {"jsonrpc": "2.0", "method": "notifications/cancelled", "params": {"requestId": request_id}}


FORGED = {  # what the page's request carries -> the refusal it gets
    "foreign Origin": ({"origin": "http://evil.example", "content-type": "text/plain"}, 403),
    "foreign Host (DNS rebinding)": ({"host": "evil.example", "content-type": "text/plain"}, 421),
    "text/plain alone": ({"content-type": "text/plain"}, 400),
}


@pytest.mark.parametrize("era", ERAS)
@pytest.mark.parametrize("forged", list(FORGED))
async def test_a_refused_cancellation_cancels_no_one(
    http_server: Callable[..., Any], fake_ccc: FakeCcc, tmp_path: Path, era: str, forged: str
) -> None:
    """The reproduction of issue 23's second hole: the victim's call 77 is in flight; the page's
    `notifications/cancelled` for it, from the victim's own address with no credential (a server without
    authentication on loopback), is refused, and the victim's call completes."""
    held = HeldUpstream()
    fake_ccc.answer(held)
    extra, status = FORGED[forged]
    audit = tmp_path / "audit.jsonl"
    async with http_server(audit_log=str(audit)) as running, httpx.AsyncClient(timeout=30) as http:
        victim = asyncio.create_task(http.post(running.mcp_url, json=tool_call(77, era), headers=headers(era)))
        await held.wait(victim)
        refused = await http.post(running.mcp_url, content=json.dumps(cancellation(77)), headers=extra)
        for _ in range(20):  # the server runs on this loop: whatever the request set off has had its turns
            await asyncio.sleep(0)
        cancelled = held.cancelled
        held.release.set()
        answer = await victim
    assert cancelled == 0, "the victim's call was cancelled by a request that was refused"
    assert answer.status_code == 200
    assert structured(answer)["ok"] is True
    assert refused.status_code == status
    [record] = [json.loads(line) for line in audit.read_text().splitlines()]
    assert record["outcome"] == "OK"


LOOK_ALIKE_ORIGINS = [
    "http://localhost:1.evil.example",  # the SDK's prefix match took it for localhost, port 1
    "http://127.0.0.1:8000@evil.example",
    "http://localhost.evil.example",
    "http://127.0.0.1.evil.example:8000",
    "https://localhost:8000",  # loopback origins are http
    "http://localhost:8000/",
    "http://localhost:99999",
    "null",
    "http://evil.example",
]
LOOK_ALIKE_HOSTS = [
    "localhost:18803.evil.example",  # the SDK's prefix match took it for localhost, port 18803
    "127.0.0.1:8000@evil.example",
    "localhost.evil.example",
    "127.0.0.1.evil.example",
    "localhost:",
    "localhost:8000:8000",
    "evil.example",
]


@pytest.mark.parametrize("origin", LOOK_ALIKE_ORIGINS)
async def test_an_origin_that_only_looks_allowed_is_refused(http_server: Callable[..., Any], origin: str) -> None:
    async with http_server() as running, httpx.AsyncClient() as http:
        response = await http.post(running.mcp_url, json=initialize_body(), headers={**JSON_HEADERS, "origin": origin})
    assert response.status_code == 403


@pytest.mark.parametrize("host", LOOK_ALIKE_HOSTS)
async def test_a_host_that_only_looks_allowed_is_refused(http_server: Callable[..., Any], host: str) -> None:
    async with http_server() as running, httpx.AsyncClient() as http:
        response = await http.post(running.mcp_url, json=initialize_body(), headers={**JSON_HEADERS, "host": host})
    assert response.status_code == 421


async def test_an_origin_given_twice_is_refused(http_server: Callable[..., Any]) -> None:
    """(Two Host headers never get this far: the HTTP parser refuses them.)"""
    sent = httpx.Headers([*JSON_HEADERS.items(), ("origin", "http://localhost"), ("origin", "http://evil.example")])
    async with http_server() as running, httpx.AsyncClient() as http:
        response = await http.post(running.mcp_url, json=initialize_body(), headers=sent)
    assert response.status_code == 403


@pytest.mark.parametrize("path", ["/mcp", "/readyz", "/metrics", "/.well-known/oauth-protected-resource/mcp"])
@pytest.mark.parametrize(("header", "status"), [("host", 421), ("origin", 403)])
async def test_every_route_but_healthz_checks_host_and_origin(
    http_server: Callable[..., Any], path: str, header: str, status: int
) -> None:
    evil = "evil.example" if header == "host" else "http://evil.example"
    async with http_server(metrics_public=True) as running, httpx.AsyncClient() as http:
        refused = await http.get(f"{running.base}{path}", headers={header: evil})
        health = await http.get(f"{running.base}/healthz", headers={header: evil})
    assert refused.status_code == status
    assert health.status_code == 200, "/healthz answers probes sent to the pod's address"


@pytest.mark.parametrize("era", ERAS)
async def test_a_cross_site_tool_call_never_reaches_ccc(
    http_server: Callable[..., Any], fake_ccc: FakeCcc, era: str
) -> None:
    """Both eras, on purpose: the handshake era's calls take the exchange fast path, the 2026 era's the SDK's."""
    async with http_server() as running, httpx.AsyncClient() as http:
        statuses = [
            (await http.post(running.mcp_url, json=tool_call(1, era), headers=headers(era, **{"origin": origin})))
            .status_code
            for origin in ("http://evil.example", "http://localhost:1.evil.example")
        ]
        statuses.append(
            (await http.post(running.mcp_url, json=tool_call(2, era), headers=headers(era, host="evil.example")))
            .status_code
        )
        allowed = await http.post(
            running.mcp_url, json=tool_call(3, era), headers=headers(era, origin="http://localhost:6274")
        )
    assert statuses == [403, 403, 421]
    assert structured(allowed)["ok"] is True
    assert len(fake_ccc.seen) == 1, "only the allowed origin's call reached CCC"


@pytest.mark.parametrize(
    "content_type",
    ["text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x", "application/jsonx", ""],
)
async def test_a_post_that_is_not_json_is_refused(
    http_server: Callable[..., Any], fake_ccc: FakeCcc, content_type: str
) -> None:
    async with http_server() as running, httpx.AsyncClient() as http:
        response = await http.post(
            running.mcp_url, content=json.dumps(tool_call(1)), headers={**JSON_HEADERS, "content-type": content_type}
        )
    assert response.status_code == 400
    assert fake_ccc.seen == []


async def test_allowed_origins_match_scheme_name_and_port(http_server: Callable[..., Any]) -> None:
    allowed = "https://app.example.com,http://tools.example.com:*"
    async with http_server(allowed_origins=allowed) as running, httpx.AsyncClient() as http:
        statuses = {
            origin: (await http.post(running.mcp_url, json=initialize_body(),
                                     headers={**JSON_HEADERS, "origin": origin})).status_code
            for origin in ("https://app.example.com", "http://app.example.com", "https://app.example.com:8443",
                           "https://app.example.com.evil.example", "http://tools.example.com:8080",
                           "http://tools.example.com", "https://tools.example.com")
        }  # fmt: skip
    assert statuses == {
        "https://app.example.com": 200, "http://app.example.com": 403, "https://app.example.com:8443": 403,
        "https://app.example.com.evil.example": 403, "http://tools.example.com:8080": 200,
        "http://tools.example.com": 200, "https://tools.example.com": 403,
    }  # fmt: skip
