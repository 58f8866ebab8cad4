"""Serving an ASGI app with uvicorn inside an event loop someone else owns.

The simulator, `serve --simulator`, the demo and the tests all run an HTTP service as a guest: in the
caller's loop, on a pre-bound socket (so port 0 means "any free port" and the port is known before the
first request), without installing signal handlers or reconfiguring logging.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
from collections.abc import AsyncIterator, Callable, Generator
from typing import Any, Literal

import uvicorn
from starlette.types import ASGIApp

__all__ = ["bind_socket", "hosted", "uvicorn_config"]


def bind_socket(host: str, port: int) -> socket.socket:
    """A listening-ready TCP socket bound to host:port (port 0 = a free port).

    The protocol must be IPPROTO_TCP explicitly: asyncio only sets TCP_NODELAY on accepted sockets whose
    `proto` says TCP, and without it every answer waits ~40 ms for a delayed ACK (Nagle).
    """
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host.strip("[]"), port))
    except OSError:
        sock.close()
        raise
    return sock


def uvicorn_config(
    app: ASGIApp | Callable[[], ASGIApp], *, graceful_seconds: float, **options: Any
) -> uvicorn.Config:
    """uvicorn as every service here runs it: no access log, no Server header, logging left to the process,
    in-flight requests given `graceful_seconds` (at least 1) to finish on shutdown, and X-Forwarded-For
    believed from nobody unless `options` name proxies (uvicorn believes loopback by default: any local
    process could pose as any address). `app` may be a factory (with `factory=True`), as `serve --workers`
    gives each worker process."""
    return uvicorn.Config(
        app,
        access_log=False,
        log_config=None,
        server_header=False,
        timeout_graceful_shutdown=max(1, round(graceful_seconds)),
        **{"proxy_headers": False, **options},
    )


class GuestServer(uvicorn.Server):
    """uvicorn without signal handling: the host process owns SIGINT/SIGTERM."""

    @contextlib.contextmanager
    def capture_signals(self) -> Generator[None, None, None]:
        yield


@contextlib.asynccontextmanager
async def hosted(
    app: ASGIApp,
    sock: socket.socket,
    *,
    lifespan: Literal["on", "off"] = "off",
    graceful_seconds: float = 2,
    name: str = "asgi",
    **options: Any,
) -> AsyncIterator[tuple[str, int]]:
    """Serve `app` on an already bound socket in the running loop until the block exits; yields (host, port).
    `options`: more of uvicorn's, e.g. `ssl_certfile`/`ssl_keyfile` to serve HTTPS (the proxy tests reach CCC
    over TLS), or what `commands.serve.http_options` gives the MCP server."""
    host, port = sock.getsockname()[:2]
    config = uvicorn_config(app, graceful_seconds=graceful_seconds, lifespan=lifespan, **{"http": "h11", **options})
    server = GuestServer(config)
    task = asyncio.create_task(server.serve(sockets=[sock]), name=f"{name}:{port}")
    try:
        while not server.started:
            if task.done():
                task.result()  # start-up failed: raise its error
                raise RuntimeError(f"{name} stopped while starting")
            await asyncio.sleep(0.002)
        yield host, port
    finally:
        server.should_exit = True
        try:
            await asyncio.wait_for(asyncio.shield(task), timeout=graceful_seconds + 3)
        except TimeoutError:
            server.force_exit = True
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        finally:
            sock.close()
