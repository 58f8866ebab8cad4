"""The HTTP application: the SDK's stateless Streamable HTTP endpoint at /mcp (a GET of it refused, 405: a
stateless server has nothing to stream), plus /healthz (open), /readyz, /metrics (Prometheus text, behind the
same authentication as /mcp unless CCC_MCP_METRICS_PUBLIC) and, with OAuth, the protected-resource metadata.

The wrappers, outermost first, and why in this order (docs/architecture.md §2): the request guard (Host and
Origin matched exactly, a POST's content type, a declared body size) on every route but /healthz; then
authentication, static token or OAuth; only then the give-up watcher, which reads the body and may cancel a
call, and the SDK's app, whose body limit still runs behind ours. Nothing that acts on a request sees one a
check would refuse, or one from a client that has not authenticated.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any, cast

from mcp.server.auth.routes import create_protected_resource_routes
from mcp.server.auth.settings import AuthSettings
from mcp.server.mcpserver import MCPServer
from mcp.server.transport_security import TransportSecuritySettings
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.types import ASGIApp

from ccc_mcp.api.credentials import CredentialsMissingError, CredentialsProvider
from ccc_mcp.config.settings import Settings
from ccc_mcp.mcpserver.assembly import build_server
from ccc_mcp.mcpserver.exchange import answer_requests_in_their_exchange
from ccc_mcp.net.origins import HostRule, OriginRule
from ccc_mcp.telemetry.startup import MetricsUnavailable, metrics_text
from ccc_mcp.tools.base import AppState
from ccc_mcp.transports.cancellation import CancelOnGiveUp
from ccc_mcp.transports.http_auth import JwtVerifier, StaticBearerAuth, oauth_gate
from ccc_mcp.transports.request_guard import RequestGuard
from ccc_mcp.transports.stateless_get import RefuseGetStream

if TYPE_CHECKING:
    import httpx

__all__ = ["build_http_app"]

MCP_PATH = "/mcp"
METRICS_PATH = "/metrics"
PROMETHEUS_TEXT = "text/plain; version=0.0.4; charset=utf-8"


def transport_security() -> TransportSecuritySettings:
    """The SDK's own Host/Origin check, switched off explicitly (given nothing, it switches itself on for a
    loopback host): it matches by prefix, and `RequestGuard`, in front of every route, matches exactly
    (docs/architecture.md §4, "Host and Origin"). Two checks with different rules would refuse differently
    on different paths; the SDK still checks a POST's content type."""
    return TransportSecuritySettings(enable_dns_rebinding_protection=False)


def _oauth(settings: Settings) -> tuple[JwtVerifier | None, AuthSettings | None]:
    if settings.authentication != "oauth":
        return None, None
    jwks_url, issuer, resource = settings.jwks_url, settings.jwt_issuer, settings.resource_url
    if jwks_url is None or issuer is None or resource is None:  # Settings refuses this; keeps types narrow
        raise ValueError("OAuth mode needs CCC_MCP_JWKS_URL, CCC_MCP_JWT_ISSUER and CCC_MCP_RESOURCE_URL")
    verifier = JwtVerifier(jwks_url=jwks_url, issuer=issuer, audience=resource, agent_claim=settings.agent_claim)
    # Validated from strings so a path-less issuer keeps its exact form (RFC 8414 compares it verbatim).
    auth = AuthSettings.model_validate(
        {
            "issuer_url": issuer,
            "resource_server_url": resource,
            "required_scopes": sorted(settings.required_scopes) or None,
            "validate_token_resource": False,  # the verifier checks the audience itself
        }
    )
    return verifier, auth


def _add_health_routes(server: MCPServer[AppState], credentials: CredentialsProvider) -> None:
    async def healthz(_: Request) -> JSONResponse:
        """Liveness: the process serves requests."""
        return JSONResponse({"status": "ok"})

    async def readyz(_: Request) -> JSONResponse:
        """Readiness: credentials can be resolved (no call to CCC is made)."""
        try:
            await asyncio.wait_for(credentials.get_key(), timeout=5)
        except (CredentialsMissingError, TimeoutError):
            return JSONResponse({"status": "unready", "reason": "Credentials.Missing"}, status_code=503)
        return JSONResponse({"status": "ready", "credentials": credentials.source})

    server.custom_route("/healthz", methods=["GET"])(healthz)
    server.custom_route("/readyz", methods=["GET"])(readyz)


async def _metrics(_: Request) -> Response:
    """The telemetry metrics in Prometheus text; 404 with the reason (and the fix) when there are none."""
    try:
        text = metrics_text()
    except MetricsUnavailable as exc:
        return JSONResponse({"error": "metrics_unavailable", "reason": str(exc)}, status_code=404)
    return Response(text, media_type=PROMETHEUS_TEXT)


def _add_metadata_routes(server: MCPServer[AppState], auth: AuthSettings) -> None:
    """RFC 9728 protected-resource metadata, the SDK's own routes (the SDK adds them itself only when it does
    the authentication, which `_authenticated` does in front of it instead)."""
    if auth.resource_server_url is None:
        return
    for route in create_protected_resource_routes(auth.resource_server_url, [auth.issuer_url], auth.required_scopes):
        # An ASGI app (not a function) as a route's endpoint is Starlette's own form; custom_route is typed for
        # request functions only.
        server.custom_route(route.path, methods=sorted(route.methods or ()))(cast(Any, route.endpoint))


def _authenticated(
    app: ASGIApp, settings: Settings, verifier: JwtVerifier | None, auth: AuthSettings | None
) -> ASGIApp:
    """The configured authentication in front of `app`, for /mcp and (unless public) /metrics."""
    protected = (MCP_PATH,) if settings.metrics_public else (MCP_PATH, METRICS_PATH)
    if verifier is not None and auth is not None:
        return oauth_gate(app, verifier, auth, protected)
    if settings.auth_token is not None:
        return StaticBearerAuth(app, settings.auth_token.get_secret_value(), protected=protected)
    return app


def build_http_app(
    settings: Settings,
    credentials: CredentialsProvider,
    *,
    upstream_transport: httpx.AsyncBaseTransport | None = None,
) -> ASGIApp:
    """The whole HTTP application; `upstream_transport` lets tests fake CCC."""
    verifier, auth = _oauth(settings)
    server = build_server(settings, credentials=credentials, transport=upstream_transport, rate_limited=True)
    _add_health_routes(server, credentials)
    server.custom_route(METRICS_PATH, methods=["GET"])(_metrics)
    if auth is not None:
        _add_metadata_routes(server, auth)
    app: ASGIApp = server.streamable_http_app(
        streamable_http_path=MCP_PATH,
        json_response=True,
        stateless_http=True,
        max_request_body_size=settings.max_body_bytes,
        transport_security=transport_security(),
    )
    if settings.sdk_fast_paths == "on":
        answer_requests_in_their_exchange(server)
    app = RefuseGetStream(app, MCP_PATH, server.session_manager.security_settings)
    app = CancelOnGiveUp(app, settings.max_body_bytes)
    app = _authenticated(app, settings, verifier, auth)
    hosts, origins = HostRule(settings.allowed_hosts), OriginRule(settings.allowed_origins)
    return RequestGuard(app, hosts=hosts, origins=origins, max_body_bytes=settings.max_body_bytes)
