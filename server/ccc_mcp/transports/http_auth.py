"""Authentication for the HTTP transport, in two modes.

Static bearer token (`CCC_MCP_AUTH_TOKEN`): one shared secret, compared in constant time, byte for byte as
the client sent it. OAuth 2.1 resource server: JWTs from an authorization server, verified against its JWKS
(signature, issuer, audience = this server's resource URL, expiry and not-before with one leeway); the SDK's
pieces add the required-scope check and the `WWW-Authenticate` challenge (`oauth_gate`), and
`transports.streamable_http` serves the RFC 9728 protected-resource metadata. Either mode runs before
anything else acts on a request (docs/architecture.md §2). Either way the client's token stays here: upstream
requests are signed with the server's own AccessKey, never with what a client sent.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import re
from typing import Any

import anyio
from mcp.server.auth.middleware.auth_context import auth_context_var
from mcp.server.auth.middleware.bearer_auth import AuthenticatedUser
from mcp.server.auth.provider import AccessToken
from mcp.server.auth.settings import AuthSettings
from starlette.types import ASGIApp, Receive, Scope, Send

from ccc_mcp.policy.identity import AGENT_KEY

__all__ = ["JWT_LEEWAY", "JwtVerifier", "StaticBearerAuth", "bearer_credential", "oauth_gate"]

log = logging.getLogger(__name__)

STATIC_PRINCIPAL = "static-token"
JWT_LEEWAY = 30  # seconds of clock skew allowed to a JWT's exp, nbf and iat alike (docs/deploy.md)
_REDACTED = "<redacted>"


def _digest(value: bytes) -> bytes:
    return hashlib.sha256(value).digest()


def bearer_credential(headers: list[tuple[bytes, bytes]]) -> bytes | None:
    """The credential of an `Authorization: Bearer <credential>` header exactly as sent, or None without one.
    Nothing is stripped or decoded: a credential with a space, a control or a non-ASCII character in it (the
    `\\xa0` or `\\x85` that `str.strip` would remove) stays what it is, and is refused as it is."""
    for name, value in headers:
        if name == b"authorization":
            return value[7:] if value[:7].lower() == b"bearer " else None
    return None


_VISIBLE_ASCII = re.compile(rb"[\x21-\x7e]+")


class StaticBearerAuth:
    """ASGI middleware: requests under the `protected` path prefixes need `Authorization: Bearer <token>`,
    the token byte for byte."""

    def __init__(self, app: ASGIApp, token: str, protected: tuple[str, ...] = ("/mcp",)) -> None:
        if not _VISIBLE_ASCII.fullmatch(token.encode()):
            raise ValueError("a bearer token is one or more visible ASCII characters")  # Settings says so first
        self.app = app
        self._expected = _digest(token.encode())
        self._prefixes = protected

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not scope["path"].startswith(self._prefixes):
            await self.app(scope, receive, send)
            return
        presented = bearer_credential(scope["headers"])
        # Compare digests: constant time, and the lengths never differ.
        if presented is None or not _VISIBLE_ASCII.fullmatch(presented) or not hmac.compare_digest(
            _digest(presented), self._expected
        ):
            await _unauthorized(send, "missing bearer token" if presented is None else "invalid bearer token")
            return
        user = AuthenticatedUser(AccessToken(token=_REDACTED, client_id=STATIC_PRINCIPAL, scopes=[]))
        scope["user"] = user
        reset = auth_context_var.set(user)
        try:
            await self.app(scope, receive, send)
        finally:
            auth_context_var.reset(reset)


def oauth_gate(app: ASGIApp, verifier: JwtVerifier, auth: AuthSettings, protected: tuple[str, ...]) -> ASGIApp:
    """OAuth in front of `app`: a request under the `protected` path prefixes needs a bearer token `verifier`
    accepts, with the required scopes, before anything reads its body or acts on it; the SDK's own pieces
    check it (its bearer backend, its 401/403 with the challenge naming the protected-resource metadata, the
    auth context tools read the caller from). Other paths are passed on with no token looked at."""
    from mcp.server.auth.middleware.auth_context import AuthContextMiddleware
    from mcp.server.auth.middleware.bearer_auth import BearerAuthBackend, RequireAuthMiddleware
    from mcp.server.auth.routes import build_resource_metadata_url
    from starlette.middleware.authentication import AuthenticationMiddleware

    metadata = build_resource_metadata_url(auth.resource_server_url) if auth.resource_server_url else None
    required = RequireAuthMiddleware(app, auth.required_scopes or [], metadata)
    checked = AuthenticationMiddleware(AuthContextMiddleware(required), backend=BearerAuthBackend(verifier))
    return _ByPath(checked, app, protected)


class _ByPath:
    """`protected` for requests under the path prefixes, `other` for the rest."""

    def __init__(self, protected: ASGIApp, other: ASGIApp, prefixes: tuple[str, ...]) -> None:
        self._protected = protected
        self._other = other
        self._prefixes = prefixes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["path"].startswith(self._prefixes):
            await self._protected(scope, receive, send)
        else:
            await self._other(scope, receive, send)


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
            # Only the algorithm of the key the kid names (RFC 8725 §3.1): a token claiming ES256 against an RSA
            # key is refused as such, where the library would raise TypeError for it (a 500).
            if signing_key.algorithm_name not in self.algorithms:
                raise jwt.InvalidAlgorithmError(f"a key for {signing_key.algorithm_name}")
            claims: dict[str, Any] = jwt.decode(
                token,
                signing_key.key,
                algorithms=[signing_key.algorithm_name],
                audience=self.audience,
                issuer=self.issuer,
                options={"require": ["exp", "iss", "aud"]},
                leeway=JWT_LEEWAY,
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
            # The SDK refuses a token once `expires_at` has passed, with no leeway of its own: the leeway is
            # added here, so that `exp` is allowed as much clock skew as `nbf` (and `iat`) are.
            expires_at=int(claims["exp"]) + JWT_LEEWAY,
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
    """`scope` (separated by spaces, U+0020 only: RFC 6749 §3.3, RFC 9068) or `scp` (a list, as some servers
    send). A tab or any other white space is part of a scope's name, which then names no scope of ours."""
    scope = claims.get("scope")
    if isinstance(scope, str):
        return [name for name in scope.split(" ") if name]
    scp = claims.get("scp")
    if isinstance(scp, list):
        return [str(s) for s in scp]
    return []
