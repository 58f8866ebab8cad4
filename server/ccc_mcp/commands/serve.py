"""Running the server: stdio or Streamable HTTP, against CCC or the embedded simulator; over HTTP in one
process or in `--workers N` processes sharing the port."""

from __future__ import annotations

import functools
import logging
import os
from contextlib import AsyncExitStack
from typing import TYPE_CHECKING, Any

import anyio

from ccc_mcp.api.credentials import CredentialsProvider, StaticCredentials, describe_source, resolve_credentials
from ccc_mcp.api.endpoints import endpoint_for
from ccc_mcp.api.signing import SigningKey
from ccc_mcp.config.collector import settle_collector
from ccc_mcp.config.logs import configure_logging
from ccc_mcp.config.serving import storage_scheme
from ccc_mcp.config.settings import Settings
from ccc_mcp.net.loopback import is_loopback_host

if TYPE_CHECKING:

    from starlette.types import ASGIApp, Message, Receive, Scope, Send

__all__ = ["ServeError", "check_http_binding", "http_options", "serve", "worker_app"]

log = logging.getLogger(__name__)


class ServeError(Exception):
    """A configuration that must not start; the message says why and what to do."""


def serve(settings: Settings, *, transport: str, host: str, port: int, simulator: bool) -> int:
    """Serve until the client disconnects (stdio) or the process is stopped (HTTP, SIGTERM or SIGINT)."""
    try:
        if transport == "http":
            check_http_binding(settings, host)
        elif settings.workers > 1:
            raise ServeError(
                f"--workers/CCC_MCP_WORKERS={settings.workers} needs --transport http: a stdio server has one "
                "client, its parent process, and runs as one process."
            )
        return anyio.run(_serve, settings, transport, host, port, simulator)
    except ServeError as exc:
        log.error("%s", exc)
        return 2
    except KeyboardInterrupt:
        return 130


def check_http_binding(settings: Settings, host: str) -> None:
    """A tool that changes live calls is never reachable off loopback without authentication."""
    if is_loopback_host(host) or settings.authentication is not None:
        return
    raise ServeError(
        f"Refusing to serve HTTP on non-loopback address {host} without authentication: anyone who can "
        "reach the port could change live calls. Set CCC_MCP_AUTH_TOKEN (a bearer token clients must "
        "present) or the OAuth settings (CCC_MCP_JWKS_URL, CCC_MCP_JWT_ISSUER, CCC_MCP_RESOURCE_URL), "
        "or bind 127.0.0.1."
    )


async def _serve(settings: Settings, transport: str, host: str, port: int, simulator: bool) -> int:
    from ccc_mcp.telemetry.startup import start_telemetry, stop_telemetry

    async with AsyncExitStack() as stack:
        stack.push_async_callback(anyio.to_thread.run_sync, stop_telemetry)  # flush the last spans and points
        credentials: CredentialsProvider
        if simulator:
            settings, credentials = await _start_simulator(stack, settings)
        else:
            credentials = resolve_credentials()
        log.info(
            "CCC endpoint %s (region %s); credentials: %s",
            endpoint_for(settings.region, settings.endpoint),
            settings.region,
            describe_source(credentials),
        )
        if transport == "stdio":
            from ccc_mcp.mcpserver.assembly import build_server
            from ccc_mcp.transports.stdio import serve_stdio

            start_telemetry("stdio")
            server = build_server(settings, credentials=credentials)
            settle_collector()
            await serve_stdio(server, grace=settings.shutdown_grace, fast_paths=settings.sdk_fast_paths == "on")
            return 0
        if settings.workers > 1:  # the simulator's key goes to the workers; CCC's they resolve each for itself
            return await _supervise(settings, credentials if simulator else None, host, port)
        await _serve_http(settings, credentials, host, port)
        return 0


async def _serve_http(settings: Settings, credentials: CredentialsProvider, host: str, port: int) -> None:
    import uvicorn

    from ccc_mcp.net.asgi import uvicorn_config

    app = _http_app(settings, credentials)
    options = http_options(settings)
    config = uvicorn_config(app, graceful_seconds=settings.shutdown_grace, host=host, port=port, **options)
    log.warning("Serving MCP over Streamable HTTP at http://%s:%d/mcp (%s)", host, port, _auth_mode(settings))
    await uvicorn.Server(config).serve()


def worker_app(settings: Settings, credentials: CredentialsProvider | None) -> ASGIApp:
    """The app of one `--workers` process (uvicorn calls it in the child): the parent's settings exactly, flags
    included; the simulator's key when the parent runs one, else the credential chain resolved here."""
    configure_logging(settings.log_level, process=True)
    log.info("Worker process %d serving", os.getpid())
    return _http_app(settings, credentials or resolve_credentials())


def _http_app(settings: Settings, credentials: CredentialsProvider) -> ASGIApp:
    """What one HTTP serving process runs (the only one, or each worker): its telemetry started, the app
    flushing it at shutdown, the garbage collector settled once the app is built."""
    from ccc_mcp.telemetry.startup import start_telemetry
    from ccc_mcp.transports.streamable_http import build_http_app

    start_telemetry("http")
    app = _FlushTelemetryOnShutdown(build_http_app(settings, credentials))
    settle_collector()
    return app


class _FlushTelemetryOnShutdown:
    """The HTTP app, flushing telemetry when uvicorn shuts it down (its lifespan): uvicorn re-raises SIGTERM
    once it has shut down, which ends the process before any `finally` runs. One server or each worker."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "lifespan":
            await self.app(scope, receive, send)
            return
        from ccc_mcp.telemetry.startup import stop_telemetry

        async def flushing_send(message: Message) -> None:
            if message["type"] in ("lifespan.shutdown.complete", "lifespan.shutdown.failed"):
                await anyio.to_thread.run_sync(stop_telemetry)
            await send(message)

        await self.app(scope, receive, flushing_send)


async def _supervise(settings: Settings, credentials: CredentialsProvider | None, host: str, port: int) -> int:
    """`--workers N`: uvicorn's supervisor starts N processes on one socket bound here, restarts any that
    dies, and on SIGTERM or SIGINT stops them all; each drains its in-flight calls (CCC_MCP_SHUTDOWN_GRACE)."""
    from uvicorn.config import STARTUP_FAILURE
    from uvicorn.supervisors import Multiprocess

    from ccc_mcp.net.asgi import bind_socket, uvicorn_config

    _log_shared_limits(settings)
    settle_collector()  # the supervisor's own start-up is over (cli.main held the collector)
    factory = functools.partial(worker_app, settings, credentials)
    options = {"factory": True, "workers": settings.workers, **http_options(settings)}
    config = uvicorn_config(factory, graceful_seconds=settings.shutdown_grace, **options)
    sock = bind_socket(host, port)
    try:
        supervisor = Multiprocess(config, sockets=[sock])  # in the main thread: it installs the signal handlers
        log.warning(
            "Serving MCP over Streamable HTTP at http://%s:%d/mcp (%s) in %d worker processes",
            host, sock.getsockname()[1], _auth_mode(settings), settings.workers,
        )  # fmt: skip
        await anyio.to_thread.run_sync(supervisor.run)
    finally:
        sock.close()
    failed = [process.pid for process in supervisor.processes if process.exitcode == STARTUP_FAILURE]
    if failed:
        log.error("Worker process %s failed to start; see its log lines above", failed[0])
        return 1
    return 0


def _log_shared_limits(settings: Settings) -> None:
    """How the per-client rate limit holds across the workers."""
    if settings.rate_limit == 0:
        return
    storage = settings.rate_limit_storage.get_secret_value()
    if storage_scheme(storage) == "memory":
        log.warning(
            "Rate limits: each of the %d workers limits alone (memory://): a client may get up to %d x %d calls "
            "a minute. Set CCC_MCP_RATE_LIMIT_STORAGE=redis://... to share one limit.",
            settings.workers, settings.workers, settings.rate_limit,
        )  # fmt: skip
        return
    from ccc_mcp.policy.ratelimit import redact

    log.info("Rate limits: shared by every worker through %s", redact(storage))


def _auth_mode(settings: Settings) -> str:
    return {"oauth": "OAuth", "token": "bearer token", None: "no authentication"}[settings.authentication]


def http_options(settings: Settings) -> dict[str, Any]:
    """What every HTTP serving process passes uvicorn beyond `net.asgi.uvicorn_config`'s defaults (the one
    server, or the workers' supervisor, whose config each worker gets): X-Forwarded-For believed only from
    the proxies the operator names, and the deadlines for a request's headers and body."""
    from ccc_mcp.net.deadlines import timed_http

    proxies = sorted(settings.forwarded_allow_ips)
    return {
        "proxy_headers": bool(proxies),
        "forwarded_allow_ips": proxies,
        "http": timed_http(settings.request_read_timeout),
    }


async def _start_simulator(stack: AsyncExitStack, settings: Settings) -> tuple[Settings, CredentialsProvider]:
    """The embedded simulator on a free loopback port, and the settings and demo key that reach it. Its
    scenario is what the simulator's environment names (CCC_SIM_SCENARIO, CCC_SIM_FLOOR), else ccc-demo."""
    from ccc_mcp.commands.simulator import embedded_scenario
    from ccc_mcp.simulator import running_simulator

    try:
        scenario = embedded_scenario()
    except ValueError as exc:
        raise ServeError(f"The embedded simulator cannot start: {exc}") from None
    sim = await stack.enter_async_context(running_simulator(host="127.0.0.1", port=0, scenario=scenario))
    # ccc-demo is the default instance, so a model can say just "hold Wang's customer" (a scenario without
    # it: its first instance); a floor beside it is named by its instance id.
    ids = [i.instance_id for i in scenario.instances]
    instance = settings.instance_id or ("ccc-demo" if "ccc-demo" in ids or not ids else ids[0])
    log.warning(
        "Using the embedded CCC simulator at %s (default instance %s; try list_agents, or agent@ccc-demo)",
        sim.endpoint,
        instance,
    )
    key = SigningKey(sim.access_key_id, sim.access_key_secret)
    update = {"endpoint": sim.endpoint, "instance_id": instance}
    return settings.model_copy(update=update), StaticCredentials(key, source="simulator")
