"""Which proxy reaches CCC: the standard environment variables, read once, never a credential shown.

The end-to-end half runs a real HTTP CONNECT proxy and the simulator behind TLS, both on loopback, with an
endpoint name that does not resolve, so a request that skipped the proxy could not succeed.
"""

from __future__ import annotations

import base64
import logging
from pathlib import Path

import pytest

from ccc_mcp.api.client import CccClient
from ccc_mcp.api.credentials import StaticCredentials
from ccc_mcp.api.proxies import proxy_for, redact
from ccc_mcp.api.signing import SigningKey
from tests.connect_proxy import CCC_NAME, connect_proxy, tls_simulator

CCC = "https://ccc.aliyuncs.com"
LIST_USERS = {"InstanceId": "ccc-demo", "PageNumber": "1", "PageSize": "10"}


# --- the choice --------------------------------------------------------------------------------------


def test_no_proxy_variable_means_a_direct_connection() -> None:
    assert proxy_for(CCC, {"PATH": "/usr/bin"}) is None


@pytest.mark.parametrize(
    ("environ", "expected"),
    [
        ({"HTTPS_PROXY": "http://proxy:3128"}, ("http://proxy:3128", "HTTPS_PROXY")),
        ({"https_proxy": "http://lower:3128", "HTTPS_PROXY": "http://upper:3128"}, ("http://lower:3128", "HTTPS_PROXY")),
        ({"HTTP_PROXY": "http://plain:3128"}, None),  # an https endpoint does not use HTTP_PROXY
        ({"ALL_PROXY": "http://all:3128"}, ("http://all:3128", "ALL_PROXY")),
        ({"HTTPS_PROXY": "proxy:3128"}, ("http://proxy:3128", "HTTPS_PROXY")),  # scheme-less, as curl reads it
        ({"HTTPS_PROXY": ""}, None),
    ],
)
def test_the_endpoint_scheme_picks_the_variable(environ: dict[str, str], expected: tuple[str, str] | None) -> None:
    choice = proxy_for(CCC, environ)
    assert (None if choice is None else (choice.url, choice.variable)) == expected


def test_an_http_endpoint_uses_http_proxy() -> None:
    choice = proxy_for("http://ccc.internal:8080", {"HTTP_PROXY": "http://plain:3128", "HTTPS_PROXY": "http://s:1"})
    assert choice is not None
    assert choice.url == "http://plain:3128"


@pytest.mark.parametrize(
    ("no_proxy", "bypassed"),
    [
        ("*", True),
        ("aliyuncs.com", True),
        (".aliyuncs.com", True),
        ("ccc.aliyuncs.com", True),
        ("example.com, aliyuncs.com", True),
        ("ccc.aliyuncs.com:443", False),  # the endpoint names no port: 443 is not written, so no match
        ("yuncs.com", False),  # a suffix, but not at a domain boundary
        ("example.com", False),
        ("", False),
    ],
)
def test_no_proxy_follows_curl(no_proxy: str, bypassed: bool) -> None:
    choice = proxy_for(CCC, {"HTTPS_PROXY": "http://proxy:3128", "NO_PROXY": no_proxy})
    assert (choice is None) is bypassed


def test_no_proxy_with_a_port_matches_only_that_port() -> None:
    environ = {"HTTPS_PROXY": "http://proxy:3128", "no_proxy": "ccc.internal:8443"}
    assert proxy_for("https://ccc.internal:8443", environ) is None
    assert proxy_for("https://ccc.internal:9443", environ) is not None


@pytest.mark.parametrize("endpoint", ["http://127.0.0.1:9000", "http://localhost:9000", "http://[::1]:9000"])
def test_a_loopback_endpoint_is_always_reached_directly(endpoint: str) -> None:
    """The embedded simulator must work on a machine whose environment names a corporate proxy."""
    assert proxy_for(endpoint, {"HTTP_PROXY": "http://proxy:3128", "ALL_PROXY": "http://proxy:3128"}) is None


def test_credentials_in_the_proxy_url_are_never_shown() -> None:
    choice = proxy_for(CCC, {"HTTPS_PROXY": "http://alice:hunter2-canary@proxy.corp:3128"})
    assert choice is not None
    assert choice.shown == "http://proxy.corp:3128"
    assert "hunter2-canary" not in repr(choice)
    assert redact("http://[::1]:3128") == "http://[::1]:3128"
    assert redact("http://u:p@[2001:db8::1]:3128/") == "http://[2001:db8::1]:3128/"


# --- through a real CONNECT proxy ----------------------------------------------------------------------


async def test_calls_reach_ccc_through_the_proxy_the_environment_names(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """HTTPS_PROXY is honoured (CONNECT, with its credentials) and SSL_CERT_FILE is trusted for CCC's TLS."""
    async with tls_simulator(tmp_path) as server, connect_proxy() as proxy:
        monkeypatch.setenv("SSL_CERT_FILE", str(server.ca_file))
        proxy_url = proxy.url.replace("http://", "http://alice:proxy-canary@")
        key = SigningKey(server.sim.access_key_id, server.sim.access_key_secret)
        with caplog.at_level(logging.INFO, logger="ccc_mcp.api.client"):
            client = CccClient(
                endpoint=server.endpoint,
                credentials=StaticCredentials(key),
                environ={"HTTPS_PROXY": proxy_url, "NO_PROXY": "localhost,127.0.0.1"},
            )
        try:
            first = await client.call("ListUsers", LIST_USERS)
            second = await client.call("GetUser", {"InstanceId": "ccc-demo", "UserId": "agent@ccc-demo"})
        finally:
            await client.aclose()

    assert first.ok, first.error
    assert second.ok, second.error
    assert proxy.targets == [f"{CCC_NAME}:{server.port}"]  # one tunnel, reused by the second call
    assert proxy.authorizations == ["Basic " + base64.b64encode(b"alice:proxy-canary").decode()]
    logged = caplog.text
    assert f"through the proxy {proxy.url} (from HTTPS_PROXY)" in logged
    assert "proxy-canary" not in logged


async def test_without_the_proxy_the_unresolvable_endpoint_is_not_reached(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The control: NO_PROXY exempts the name, the client connects directly, and fails — so the success above
    can only have gone through the proxy. The name is under .invalid, which no resolver answers for."""
    async with tls_simulator(tmp_path) as server, connect_proxy() as proxy:
        monkeypatch.setenv("SSL_CERT_FILE", str(server.ca_file))
        key = SigningKey(server.sim.access_key_id, server.sim.access_key_secret)
        client = CccClient(
            endpoint=server.endpoint,
            credentials=StaticCredentials(key),
            environ={"HTTPS_PROXY": proxy.url, "NO_PROXY": ".invalid"},
        )
        try:
            result = await client.call("ListUsers", LIST_USERS)
        finally:
            await client.aclose()

    assert result.error is not None
    assert result.error.code.startswith("Network.")
    assert proxy.targets == []
