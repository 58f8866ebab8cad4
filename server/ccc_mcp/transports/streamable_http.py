"""The HTTP application: the SDK's stateless Streamable HTTP endpoint at /mcp, always behind explicit
Host/Origin checks and a body-size limit, authenticated as configured, a GET of it refused (405: a stateless
server has nothing to stream), plus /healthz and /readyz (open) and /metrics (Prometheus text, behind the
same authentication as /mcp unless CCC_MCP_METRICS_PUBLIC)."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any, cast

from mcp.server.auth.middleware.bearer_auth import RequireAuthMiddleware
from mcp.server.auth.routes import build_resource_metadata_url
from mcp.server.auth.settings import AuthSettings
from mcp.server.mcpserver import MCPServer
from mcp.server.transport_security import TransportSecuritySettings
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import request_response
from starlette.types import ASGIApp

from ccc_mcp.api.credentials import CredentialsMissingError, CredentialsProvider
from ccc_mcp.config.settings import Settings
from ccc_mcp.mcpserver.assembly import build_server
from ccc_mcp.mcpserver.exchange import answer_requests_in_their_exchange
from ccc_mcp.net.loopback import LOOPBACK_NAMES
from ccc_mcp.telemetry.startup import MetricsUnavailable, metrics_text
from ccc_mcp.tools.base import AppState
from ccc_mcp.transports.cancellation import CancelOnGiveUp
from ccc_mcp.transports.http_auth import JwtVerifier, StaticBearerAuth
from ccc_mcp.transports.stateless_get import RefuseGetStream

if TYPE_CHECKING:
    import httpx

__all__ = ["build_http_app"]

MCP_PATH = "/mcp"
METRICS_PATH = "/metrics"
PROMETHEUS_TEXT = "text/plain; version=0.0.4; charset=utf-8"


def transport_security(settings: Settings) -> TransportSecuritySettings:
    """Loopback names always, plus what the operator lists; any port for loopback (`name:*`)."""
    hosts = [*LOOPBACK_NAMES, *(f"{name}:*" for name in LOOPBACK_NAMES)]
    for name in sorted(settings.allowed_hosts):
        has_port = ":" in name.rsplit("]", 1)[-1]  # "[2001:db8::1]" has none, "[::1]:8443" and "a.b:443" do
        hosts += [name] if has_port else [name, f"{name}:*"]
    origins = [f"http://{name}:*" for name in LOOPBACK_NAMES] + [f"http://{name}" for name in LOOPBACK_NAMES]
    origins += sorted(settings.allowed_origins)
    return TransportSecuritySettings(enable_dns_rebinding_protection=True, allowed_hosts=hosts, allowed_origins=origins)


def _oauth(settings: Settings) -> tuple[JwtVerifier | None, AuthSettings | None]:
    if not settings.oauth_enabled:
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


def _add_metrics_route(server: MCPServer[AppState], settings: Settings, auth: AuthSettings | None) -> None:
    """/metrics. The static token guards it in `build_http_app` (by path); OAuth guards it here with the SDK's
    own check of /mcp (a valid token with the required scopes, else 401/403 with the challenge)."""
    route = server.custom_route(METRICS_PATH, methods=["GET"])
    if auth is None or settings.metrics_public:
        route(_metrics)
        return
    metadata = build_resource_metadata_url(auth.resource_server_url) if auth.resource_server_url else None
    guarded = RequireAuthMiddleware(request_response(_metrics), auth.required_scopes or [], metadata)
    # An ASGI app (not a function) as a route's endpoint is Starlette's own form; custom_route is typed for
    # request functions only.
    route(cast(Any, guarded))


def build_http_app(
    settings: Settings,
    credentials: CredentialsProvider,
    *,
    upstream_transport: httpx.AsyncBaseTransport | None = None,
) -> ASGIApp:
    """The whole HTTP application; `upstream_transport` lets tests fake CCC."""
    verifier, auth = _oauth(settings)
    server = build_server(
        settings,
        credentials=credentials,
        transport=upstream_transport,
        rate_limited=True,
        token_verifier=verifier,
        auth=auth,
    )
    _add_health_routes(server, credentials)
    _add_metrics_route(server, settings, auth)
    app: ASGIApp = server.streamable_http_app(
        streamable_http_path=MCP_PATH,
        json_response=True,
        stateless_http=True,
        max_request_body_size=settings.max_body_bytes,
        transport_security=transport_security(settings),
    )
    if settings.sdk_fast_paths == "on":
        answer_requests_in_their_exchange(server)
    app = RefuseGetStream(app, MCP_PATH, server.session_manager.security_settings)
    app = CancelOnGiveUp(app, settings.max_body_bytes)
    if settings.auth_token is not None:
        protected = (MCP_PATH,) if settings.metrics_public else (MCP_PATH, METRICS_PATH)
        app = StaticBearerAuth(app, settings.auth_token.get_secret_value(), protected=protected)
    return app
