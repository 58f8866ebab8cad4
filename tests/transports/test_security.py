"""The HTTP transport is secure by default: every behaviour here is a test of it."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest

from ccc_mcp.commands.serve import ServeError, check_http_binding
from ccc_mcp.config.settings import load_settings
from tests.fakes import FakeCcc
from tests.transports.conftest import ERAS, JSON_HEADERS, headers, initialize_body, structured, tool_call

TOKEN = "client-token-canary-3b7e"
ARGS = {"instance_id": "ccc-test", "user_id": "agent@ccc-test"}


# --- static bearer token -------------------------------------------------------------------------------

async def test_no_token_is_401(http_server: Callable[..., Any]) -> None:
    async with http_server(auth_token=TOKEN) as running, httpx.AsyncClient() as http:
        response = await http.post(running.mcp_url, json=initialize_body(), headers=JSON_HEADERS)
    assert response.status_code == 401
    assert response.headers["www-authenticate"].startswith("Bearer ")


async def test_wrong_token_is_401(http_server: Callable[..., Any]) -> None:
    async with http_server(auth_token=TOKEN) as running, httpx.AsyncClient() as http:
        response = await http.post(running.mcp_url, json=initialize_body(),
                                   headers={**JSON_HEADERS, "authorization": f"Bearer {TOKEN}x"})
    assert response.status_code == 401
    assert 'error="invalid_token"' in response.headers["www-authenticate"]


async def test_right_token_works_in_both_protocol_eras(
    http_server: Callable[..., Any], fake_ccc: FakeCcc, protocol_mode: str
) -> None:
    async with http_server(auth_token=TOKEN) as running, running.client(TOKEN, protocol_mode) as client:
        result = await client.call_tool("unmute_call", ARGS)
    assert not result.is_error, result.structured_content
    assert len(fake_ccc.seen) == 1


async def test_the_client_token_is_never_forwarded_upstream(http_server: Callable[..., Any], fake_ccc: FakeCcc) -> None:
    async with http_server(auth_token=TOKEN) as running, running.client(TOKEN) as client:
        await client.call_tool("unmute_call", ARGS)
    [seen] = fake_ccc.seen
    assert TOKEN not in json.dumps(seen.headers)
    assert TOKEN not in json.dumps(seen.query)
    assert seen.headers["authorization"].startswith("ACS3-HMAC-SHA256 ")


async def test_health_endpoints_need_no_token(http_server: Callable[..., Any]) -> None:
    async with http_server(auth_token=TOKEN) as running, httpx.AsyncClient() as http:
        assert (await http.get(f"{running.base}/healthz")).json() == {"status": "ok"}
        ready = await http.get(f"{running.base}/readyz")
    assert ready.status_code == 200
    assert ready.json()["status"] == "ready"


async def test_readyz_is_503_without_credentials(http_server: Callable[..., Any]) -> None:
    from ccc_mcp.api.credentials import CredentialsMissingError
    from ccc_mcp.api.signing import SigningKey

    class Missing:
        source = "none"

        async def get_key(self) -> SigningKey:
            raise CredentialsMissingError("nothing configured")

    async with http_server(credentials=Missing()) as running, httpx.AsyncClient() as http:
        response = await http.get(f"{running.base}/readyz")
    assert response.status_code == 503
    assert response.json() == {"status": "unready", "reason": "Credentials.Missing"}


# --- Host and Origin -------------------------------------------------------------------------------------

async def test_bad_origin_is_403(http_server: Callable[..., Any]) -> None:
    async with http_server() as running, httpx.AsyncClient() as http:
        response = await http.post(running.mcp_url, json=initialize_body(),
                                   headers={**JSON_HEADERS, "origin": "https://evil.example"})
    assert response.status_code == 403


async def test_bad_host_is_rejected(http_server: Callable[..., Any]) -> None:
    async with http_server() as running, httpx.AsyncClient() as http:
        response = await http.post(running.mcp_url, json=initialize_body(),
                                   headers={**JSON_HEADERS, "host": "evil.example"})
    assert response.status_code == 421


async def test_configured_public_name_and_origin_are_accepted(http_server: Callable[..., Any]) -> None:
    async with http_server(allowed_hosts="mcp.example.com", allowed_origins="https://app.example.com") as running, \
            httpx.AsyncClient() as http:
        response = await http.post(running.mcp_url, json=initialize_body(),
                                   headers={**JSON_HEADERS, "host": "mcp.example.com",
                                            "origin": "https://app.example.com"})
    assert response.status_code == 200


@pytest.mark.parametrize(
    ("configured", "host", "accepted"),
    [
        ("mcp.example.com", "mcp.example.com:8443", True),  # no port configured: any port
        ("mcp.example.com:443", "mcp.example.com:443", True),
        ("mcp.example.com:443", "mcp.example.com:8443", False),  # a configured port is exact
        ("[2001:db8::1]", "[2001:db8::1]:8443", True),  # an IPv6 literal is not a port
        ("[2001:db8::1]:443", "[2001:db8::1]:8443", False),
    ],
)
async def test_configured_host_ports(
    http_server: Callable[..., Any], configured: str, host: str, accepted: bool
) -> None:
    async with http_server(allowed_hosts=configured) as running, httpx.AsyncClient() as http:
        response = await http.post(running.mcp_url, json=initialize_body(), headers={**JSON_HEADERS, "host": host})
    assert (response.status_code == 200) is accepted, response.status_code


async def test_loopback_origin_is_accepted(http_server: Callable[..., Any]) -> None:
    async with http_server() as running, httpx.AsyncClient() as http:
        response = await http.post(running.mcp_url, json=initialize_body(),
                                   headers={**JSON_HEADERS, "origin": "http://localhost:6274"})
    assert response.status_code == 200


# --- binding -------------------------------------------------------------------------------------------

@pytest.mark.parametrize("host", ["0.0.0.0", "::", "10.0.0.8", "example.com"])
def test_non_loopback_binding_without_auth_is_refused(host: str) -> None:
    with pytest.raises(ServeError, match="without authentication"):
        check_http_binding(load_settings(), host)


def test_non_loopback_binding_with_auth_is_allowed() -> None:
    check_http_binding(load_settings(auth_token="t"), "0.0.0.0")
    check_http_binding(load_settings(), "127.0.0.1")


def test_cli_refuses_0_0_0_0_without_auth_with_a_clear_message() -> None:
    out = subprocess.run(
        [sys.executable, "-m", "ccc_mcp", "serve", "--transport", "http", "--host", "0.0.0.0", "--port", "1"],
        capture_output=True, text=True, timeout=60,
    )
    assert out.returncode == 2
    assert "Refusing to serve HTTP on non-loopback address 0.0.0.0" in out.stderr
    assert out.stdout == ""


# --- limits ---------------------------------------------------------------------------------------------

async def test_rate_limit_answers_a_structured_throttling_error(
    http_server: Callable[..., Any], fake_ccc: FakeCcc, protocol_mode: str
) -> None:
    async with http_server(rate_limit=6, rate_burst=2) as running, running.client(mode=protocol_mode) as client:
        results = [await client.call_tool("unmute_call", ARGS) for _ in range(3)]
    assert [r.is_error for r in results] == [False, False, True]
    error = (results[2].structured_content or {})["error"]
    assert error["code"] == "Throttling"
    assert error["retryable"] is True
    assert "Wait" in error["hint"]
    assert len(fake_ccc.seen) == 2, "the throttled call never reached CCC"


@pytest.mark.parametrize("era", ERAS)
async def test_each_client_has_a_limit_of_its_own_on_both_request_paths(
    http_server: Callable[..., Any], fake_ccc: FakeCcc, era: str
) -> None:
    """Without authentication a client is its address: one from 127.0.0.2 is not throttled for what one from
    127.0.0.1 did. In both eras on purpose: the handshake era's calls take the exchange fast path."""

    async def calls(local_address: str, count: int) -> list[bool]:
        transport = httpx.AsyncHTTPTransport(local_address=local_address)
        async with httpx.AsyncClient(transport=transport) as http:
            return [
                structured(await http.post(running.mcp_url, json=tool_call(n, era), headers=headers(era)))["ok"]
                for n in range(count)
            ]

    async with http_server(rate_limit=6, rate_burst=2) as running:
        first = await calls("127.0.0.1", 3)
        second = await calls("127.0.0.2", 1)
    assert first == [True, True, False]
    assert second == [True], "another client's calls took this one's place"
    assert len(fake_ccc.seen) == 3


async def test_oversized_body_is_refused(http_server: Callable[..., Any], fake_ccc: FakeCcc) -> None:
    body = initialize_body()
    body["params"]["padding"] = "x" * 70_000
    async with http_server(max_body_bytes=65536) as running, httpx.AsyncClient() as http:
        response = await http.post(running.mcp_url, content=json.dumps(body), headers=JSON_HEADERS)
    assert response.status_code == 413


# --- audit ----------------------------------------------------------------------------------------------

async def test_audit_log_has_one_json_line_per_call(
    http_server: Callable[..., Any], tmp_path: Path
) -> None:
    audit = tmp_path / "audit.jsonl"
    async with http_server(auth_token=TOKEN, audit_log=str(audit)) as running, running.client(TOKEN) as client:
        await client.call_tool("unmute_call", {**ARGS, "job_id": "job-1"})
        await client.call_tool("unmute_call", {"instance_id": "ccc-test"})
    lines = [json.loads(line) for line in audit.read_text().splitlines()]
    assert len(lines) == 2
    first = lines[0]
    assert first["caller"].startswith("static-token@127.0.0.1")
    assert (first["instance"], first["user"], first["job"], first["outcome"]) == ("ccc-test", "agent@ccc-test",
                                                                                "job-1", "OK")
    assert first["request_id"] == "EEEE671A-3E24-4A04-81E6-6C4F5B39DF75"
    assert first["latency_ms"] >= 0
    assert lines[1]["outcome"] == "Parameter.Blank"
    assert TOKEN not in audit.read_text()
