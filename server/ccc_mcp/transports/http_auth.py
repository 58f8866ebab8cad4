"""Authentication for the HTTP transport, in two modes.

Static bearer token (`CCC_MCP_AUTH_TOKEN`): one shared secret, compared in constant time. OAuth 2.1
resource server: JWTs from an authorization server, verified against its JWKS (signature, issuer,
audience = this server's resource URL, expiry); the SDK adds the required-scope check, RFC 9728
protected-resource metadata and the `WWW-Authenticate` challenge. Either way the client's token stays
here: upstream requests are signed with the server's own AccessKey, never with what a client sent.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
from typing import Any

import anyio
from mcp.server.auth.middleware.auth_context import auth_context_var
from mcp.server.auth.middleware.bearer_auth import AuthenticatedUser
from mcp.server.auth.provider import AccessToken
from starlette.types import ASGIApp, Receive, Scope, Send

from ccc_mcp.policy.identity import AGENT_KEY

__all__ = ["JwtVerifier", "StaticBearerAuth"]

log = logging.getLogger(__name__)

STATIC_PRINCIPAL = "static-token"
_REDACTED = "<redacted>"


def _digest(value: str) -> bytes:
    return hashlib.sha256(value.encode()).digest()


def bearer_token(headers: list[tuple[bytes, bytes]]) -> str | None:
    for name, value in headers:
        if name.lower() == b"authorization":
            text = value.decode("latin-1")
            if text[:7].lower() == "bearer ":
                return text[7:].strip()
    return None


class StaticBearerAuth:
    """ASGI middleware: requests under the `protected` path prefixes need `Authorization: Bearer <token>`."""

    def __init__(self, app: ASGIApp, token: str, protected: tuple[str, ...] = ("/mcp",)) -> None:
        self.app = app
        self._expected = _digest(token)
        self._prefixes = protected

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not scope["path"].startswith(self._prefixes):
            await self.app(scope, receive, send)
            return
        presented = bearer_token(scope.get("headers", []))
        # Compare digests: constant time, and the lengths never differ.
        if presented is None or not hmac.compare_digest(_digest(presented), self._expected):
            await _unauthorized(send, "missing bearer token" if presented is None else "invalid bearer token")
            return
        user = AuthenticatedUser(AccessToken(token=_REDACTED, client_id=STATIC_PRINCIPAL, scopes=[]))
        scope["user"] = user
        reset = auth_context_var.set(user)
        try:
            await self.app(scope, receive, send)
        finally:
            auth_context_var.reset(reset)


async def _unauthorized(send: Send, description: str) -> None:
    body = json.dumps({"error": "invalid_token", "error_description": description}).encode()
    await send(
        {
            "type": "http.response.start",
            "status": 401,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
                (
                    b"www-authenticate",
                    f'Bearer realm="ccc-mcp", error="invalid_token", error_description="{description}"'.encode(),
                ),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


class JwtVerifier:
    """Verifies JWT access tokens against a JWKS: signature, issuer, audience, expiry.

    The JWKS is fetched with PyJWT's client (cached; refetched for an unknown key id) in a worker
    thread, so a slow authorization server never blocks the event loop.
    """

    algorithms: tuple[str, ...] = ("RS256", "ES256")

    def __init__(self, *, jwks_url: str, issuer: str, audience: str, agent_claim: str | None = None):
        from jwt import PyJWKClient

        self._jwks = PyJWKClient(jwks_url, cache_keys=True, lifespan=300, timeout=5)
        self.issuer = issuer
        self.audience = audience
        self.agent_claim = agent_claim

    async def verify_token(self, token: str) -> AccessToken | None:
        import jwt

        try:
            signing_key = await anyio.to_thread.run_sync(self._jwks.get_signing_key_from_jwt, token)
            claims: dict[str, Any] = jwt.decode(
                token,
                signing_key.key,
                algorithms=self.algorithms,
                audience=self.audience,
                issuer=self.issuer,
                options={"require": ["exp", "iss", "aud"]},
                leeway=30,
            )
        except jwt.PyJWTError as exc:
            log.info("Rejected a bearer token: %s", type(exc).__name__)
            return None
        extra: dict[str, Any] = {"iss": claims.get("iss")}
        if self.agent_claim is not None:
            agent = _agent(claims.get(self.agent_claim))
            if agent is None:
                log.info("Rejected a bearer token: its %r claim is missing or not an agent id", self.agent_claim)
                return None
            extra[AGENT_KEY] = agent
        return AccessToken(
            token=_REDACTED,
            client_id=str(claims.get("client_id") or claims.get("azp") or claims.get("sub") or "unknown"),
            scopes=_scopes(claims),
            expires_at=int(claims["exp"]),
            resource=self.audience,
            subject=str(claims["sub"]) if claims.get("sub") else None,
            claims=extra,
        )


def _agent(value: object) -> str | None:
    """An agent id from a token claim: a non-blank string of at most 256 printable characters."""
    if not isinstance(value, str) or not value.strip() or len(value) > 256 or not value.isprintable():
        return None
    return value.strip()


def _scopes(claims: dict[str, Any]) -> list[str]:
    """`scope` (space-separated, RFC 8693/9068) or `scp` (a list, as some servers send)."""
    scope = claims.get("scope")
    if isinstance(scope, str):
        return scope.split()
    scp = claims.get("scp")
    if isinstance(scp, list):
        return [str(s) for s in scp]
    return []
