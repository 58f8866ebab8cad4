"""Running the server: stdio or Streamable HTTP, against CCC or the embedded simulator."""

from __future__ import annotations

import logging
from contextlib import AsyncExitStack

import anyio

from ccc_mcp.api.credentials import CredentialsProvider, StaticCredentials
from ccc_mcp.api.signing import SigningKey
from ccc_mcp.config import Settings, is_loopback_host

log = logging.getLogger(__name__)


class ServeError(Exception):
    """A configuration that must not start; the message says why and what to do."""


def serve(settings: Settings, *, transport: str, host: str, port: int, simulator: bool) -> int:
    """Serve until the client disconnects (stdio) or the process is stopped (HTTP)."""
    try:
        if transport == "http":
            _check_http_binding(host)
        anyio.run(_serve, settings, transport, host, port, simulator)
    except ServeError as exc:
        log.error("%s", exc)
        return 2
    except KeyboardInterrupt:
        return 130
    return 0


def _check_http_binding(host: str) -> None:
    if not is_loopback_host(host):
        raise ServeError(
            f"Refusing to serve HTTP on non-loopback address {host}: this tool changes live calls, and "
            "this release authenticates HTTP clients on loopback only. Bind 127.0.0.1 and put an "
            "authenticating reverse proxy in front."
        )


async def _serve(settings: Settings, transport: str, host: str, port: int, simulator: bool) -> None:
    from ccc_mcp.app import build_server

    async with AsyncExitStack() as stack:
        credentials: CredentialsProvider | None = None
        if simulator:
            settings, credentials = await _start_simulator(stack, settings)
        server = build_server(settings, credentials=credentials)
        if transport == "stdio":
            await server.run_stdio_async()
            return
        from mcp.server.transport_security import TransportSecuritySettings

        loopback = ["127.0.0.1", "localhost", "[::1]"]
        security = TransportSecuritySettings(
            enable_dns_rebinding_protection=True,
            allowed_hosts=[f"{name}:{port}" for name in loopback] + loopback,
            allowed_origins=[f"http://{name}:{port}" for name in loopback],
        )
        log.warning("Serving MCP over Streamable HTTP at http://%s:%d/mcp", host, port)
        await server.run_streamable_http_async(
            host=host, port=port, stateless_http=True, json_response=True, transport_security=security
        )


async def _start_simulator(stack: AsyncExitStack, settings: Settings) -> tuple[Settings, CredentialsProvider]:
    """The embedded simulator on a free loopback port, and the settings and demo key that reach it."""
    from ccc_mcp.simulator import running_simulator

    sim = await stack.enter_async_context(running_simulator(host="127.0.0.1", port=0))
    log.warning(
        "Using the embedded CCC simulator at %s (instance ccc-demo; try user agent@ccc-demo)", sim.endpoint
    )
    key = SigningKey(sim.access_key_id, sim.access_key_secret)
    return settings.model_copy(update={"endpoint": sim.endpoint}), StaticCredentials(key, source="simulator")
