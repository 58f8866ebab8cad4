"""Running the server: stdio or Streamable HTTP, against CCC or the embedded simulator."""

from __future__ import annotations

import logging
from contextlib import AsyncExitStack
from typing import TYPE_CHECKING

import anyio

from ccc_mcp.api.credentials import CredentialsProvider, StaticCredentials, describe_source, resolve_credentials
from ccc_mcp.api.signing import SigningKey
from ccc_mcp.config.settings import Settings
from ccc_mcp.net.loopback import is_loopback_host

if TYPE_CHECKING:
    import socket

__all__ = ["ServeError", "check_http_binding", "serve"]

log = logging.getLogger(__name__)


class ServeError(Exception):
    """A configuration that must not start; the message says why and what to do."""


def serve(settings: Settings, *, transport: str, host: str, port: int, simulator: bool) -> int:
    """Serve until the client disconnects (stdio) or the process is stopped (HTTP, SIGTERM or SIGINT)."""
    try:
        if transport == "http":
            check_http_binding(settings, host)
        anyio.run(_serve, settings, transport, host, port, simulator)
    except ServeError as exc:
        log.error("%s", exc)
        return 2
    except KeyboardInterrupt:
        return 130
    return 0


def check_http_binding(settings: Settings, host: str) -> None:
    """A tool that changes live calls is never reachable off loopback without authentication."""
    if is_loopback_host(host) or settings.auth_token is not None or settings.oauth_enabled:
        return
    raise ServeError(
        f"Refusing to serve HTTP on non-loopback address {host} without authentication: anyone who can "
        "reach the port could change live calls. Set CCC_MCP_AUTH_TOKEN (a bearer token clients must "
        "present) or the OAuth settings (CCC_MCP_JWKS_URL, CCC_MCP_JWT_ISSUER, CCC_MCP_RESOURCE_URL), "
        "or bind 127.0.0.1."
    )


async def _serve(settings: Settings, transport: str, host: str, port: int, simulator: bool) -> None:
    from ccc_mcp.telemetry.startup import start_telemetry, stop_telemetry

    start_telemetry("http" if transport == "http" else "stdio")
    async with AsyncExitStack() as stack:
        stack.push_async_callback(anyio.to_thread.run_sync, stop_telemetry)  # flush the last spans and points
        credentials: CredentialsProvider
        if simulator:
            settings, credentials = await _start_simulator(stack, settings)
        else:
            credentials = resolve_credentials()
        from ccc_mcp.api.client import endpoint_for

        log.info(
            "CCC endpoint %s (region %s); credentials: %s",
            endpoint_for(settings.region, settings.endpoint),
            settings.region,
            describe_source(credentials),
        )
        if transport == "stdio":
            from ccc_mcp.mcpserver.assembly import build_server

            await build_server(settings, credentials=credentials).run_stdio_async()
            return
        await _serve_http(settings, credentials, host, port)


async def _serve_http(settings: Settings, credentials: CredentialsProvider, host: str, port: int) -> None:
    import uvicorn

    from ccc_mcp.net.asgi import uvicorn_config
    from ccc_mcp.telemetry.startup import stop_telemetry
    from ccc_mcp.transports.streamable_http import build_http_app

    class FlushingServer(uvicorn.Server):
        """uvicorn re-raises SIGTERM once it has shut down, which ends the process: flush telemetry first."""

        async def shutdown(self, sockets: list[socket.socket] | None = None) -> None:
            await super().shutdown(sockets)
            await anyio.to_thread.run_sync(stop_telemetry)

    app = build_http_app(settings, credentials)
    config = uvicorn_config(app, graceful_seconds=settings.shutdown_grace, host=host, port=port)
    mode = "OAuth" if settings.oauth_enabled else "bearer token" if settings.auth_token else "no authentication"
    log.warning("Serving MCP over Streamable HTTP at http://%s:%d/mcp (%s)", host, port, mode)
    await FlushingServer(config).serve()


async def _start_simulator(stack: AsyncExitStack, settings: Settings) -> tuple[Settings, CredentialsProvider]:
    """The embedded simulator on a free loopback port, and the settings and demo key that reach it."""
    from ccc_mcp.simulator import running_simulator

    sim = await stack.enter_async_context(running_simulator(host="127.0.0.1", port=0))
    # The simulator has one instance: make it the default, so a model can say just "hold Wang's customer".
    instance = settings.instance_id or "ccc-demo"
    log.warning(
        "Using the embedded CCC simulator at %s (default instance %s; try list_agents, or agent@ccc-demo)",
        sim.endpoint,
        instance,
    )
    key = SigningKey(sim.access_key_id, sim.access_key_secret)
    update = {"endpoint": sim.endpoint, "instance_id": instance}
    return settings.model_copy(update=update), StaticCredentials(key, source="simulator")
