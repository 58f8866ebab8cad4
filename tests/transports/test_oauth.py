"""OAuth 2.1 resource-server mode: JWTs verified against a JWKS served on loopback by the test."""

from __future__ import annotations

import json
import time
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import httpx
import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm
from starlette.applications import Starlette
from starlette.responses import JSONResponse
from starlette.routing import Route

from ccc_mcp.net.asgi import bind_socket, hosted
from ccc_mcp.transports.http_auth import JWT_LEEWAY
from tests.fakes import FakeCcc
from tests.transports.conftest import JSON_HEADERS, initialize_body

ISSUER = "https://auth.example.test"
DEPLOY_PAGE = (Path(__file__).resolve().parents[2] / "docs" / "deploy.md").read_text()
SCOPE = "ccc:calls"
ARGS = {"instance_id": "ccc-test", "user_id": "agent@ccc-test"}


class AuthorizationServer:
    """Signs tokens with an RSA key whose public half it serves as a JWKS."""

    def __init__(self) -> None:
        self.key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.other_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        public = json.loads(RSAAlgorithm.to_jwk(self.key.public_key()))
        public.update({"kid": "k1", "use": "sig", "alg": "RS256"})
        self.jwks = {"keys": [public]}
        self.url = ""

    def token(self, *, audience: str, scope: str = SCOPE, expires_in: int = 300, sub: str = "user-42",
              key: Any = None, issuer: str = ISSUER, extra: dict[str, Any] | None = None) -> str:
        now = int(time.time())
        claims = {"iss": issuer, "sub": sub, "aud": audience, "iat": now, "exp": now + expires_in, "scope": scope,
                  "client_id": "agent-app", **(extra or {})}
        return jwt.encode(claims, key or self.key, algorithm="RS256", headers={"kid": "k1"})


@pytest.fixture
async def authorization_server() -> AsyncIterator[AuthorizationServer]:
    server = AuthorizationServer()

    async def jwks(_: Any) -> JSONResponse:
        return JSONResponse(server.jwks)

    app = Starlette(routes=[Route("/jwks.json", jwks)])
    async with hosted(app, bind_socket("127.0.0.1", 0), name="jwks") as (host, port):
        server.url = f"http://{host}:{port}/jwks.json"
        yield server


@pytest.fixture
def oauth_server(http_server: Callable[..., Any], authorization_server: AuthorizationServer) -> Callable[..., Any]:
    resource = "https://mcp.example.test/mcp"

    def start(**extra: Any) -> Any:
        return http_server(jwks_url=authorization_server.url, jwt_issuer=ISSUER, resource_url=resource,
                           required_scopes=SCOPE, allowed_hosts="mcp.example.test", **extra)

    start.resource = resource  # type: ignore[attr-defined]
    return start


async def _status(base: str, token: str | None) -> httpx.Response:
    headers = dict(JSON_HEADERS)
    if token:
        headers["authorization"] = f"Bearer {token}"
    async with httpx.AsyncClient() as http:
        return await http.post(f"{base}/mcp", json=initialize_body(), headers=headers)


async def test_valid_token_is_accepted_and_the_caller_identified(
    oauth_server: Callable[..., Any], authorization_server: AuthorizationServer, fake_ccc: FakeCcc,
    protocol_mode: str, tmp_path: Path,
) -> None:
    token = authorization_server.token(audience=oauth_server.resource)  # type: ignore[attr-defined]
    audit = tmp_path / "audit.jsonl"
    async with oauth_server(audit_log=str(audit)) as running, running.client(token, protocol_mode) as client:
        result = await client.call_tool("unmute_call", ARGS)
    assert not result.is_error, result.structured_content
    assert token not in json.dumps(fake_ccc.seen[0].headers)
    # Identified by the verified token's subject (not by anything the client asserts), in the audit record.
    [record] = [json.loads(line) for line in audit.read_text().splitlines()]
    assert record["caller"] == "user-42@127.0.0.1"
    assert token not in audit.read_text()


async def test_no_token_gets_a_challenge_naming_the_metadata(oauth_server: Callable[..., Any]) -> None:
    async with oauth_server() as running:
        response = await _status(running.base, None)
        assert response.status_code == 401
        challenge = response.headers["www-authenticate"]
        assert "resource_metadata=" in challenge
        async with httpx.AsyncClient() as http:
            metadata = (await http.get(f"{running.base}/.well-known/oauth-protected-resource/mcp")).json()
    assert metadata["resource"] == oauth_server.resource  # type: ignore[attr-defined]
    assert metadata["authorization_servers"] == [ISSUER]
    assert metadata["scopes_supported"] == [SCOPE]


@pytest.mark.parametrize(
    ("case", "status"),
    [("wrong-audience", 401), ("expired", 401), ("wrong-issuer", 401), ("wrong-key", 401), ("missing-scope", 403),
     ("garbage", 401)],
)
async def test_bad_tokens_are_refused(
    oauth_server: Callable[..., Any], authorization_server: AuthorizationServer, case: str, status: int
) -> None:
    audience = oauth_server.resource  # type: ignore[attr-defined]
    tokens = {
        "wrong-audience": lambda: authorization_server.token(audience="https://other.example/mcp"),
        "expired": lambda: authorization_server.token(audience=audience, expires_in=-120),
        "wrong-issuer": lambda: authorization_server.token(audience=audience, issuer="https://evil.example"),
        "wrong-key": lambda: authorization_server.token(audience=audience, key=authorization_server.other_key),
        "missing-scope": lambda: authorization_server.token(audience=audience, scope="profile"),
        "garbage": lambda: "not-a-jwt",
    }
    async with oauth_server() as running:
        response = await _status(running.base, tokens[case]())
    assert response.status_code == status, response.text


@pytest.mark.parametrize(
    ("claim", "offset", "accepted"),
    [("exp", -(JWT_LEEWAY - 10), True), ("exp", -(JWT_LEEWAY + 10), False),
     ("nbf", JWT_LEEWAY - 10, True), ("nbf", JWT_LEEWAY + 10, False)],
)
async def test_exp_and_nbf_get_the_same_leeway_the_deploy_page_states(
    oauth_server: Callable[..., Any], authorization_server: AuthorizationServer, claim: str, offset: int,
    accepted: bool,
) -> None:
    """Clock skew between the authorization server and this one is allowed the same both ways: the SDK once
    refused an `exp` a few seconds past (it rechecks expiry with no leeway) while the verifier let an `nbf`
    30 s ahead through."""
    assert f"`exp` and `nbf` with a {JWT_LEEWAY} s leeway" in DEPLOY_PAGE
    now = int(time.time())
    times = {"exp": now + offset} if claim == "exp" else {"nbf": now + offset}
    bearer = authorization_server.token(audience=oauth_server.resource, extra=times)  # type: ignore[attr-defined]
    async with oauth_server() as running:
        response = await _status(running.base, bearer)
    assert (response.status_code == 200) is accepted, response.text
