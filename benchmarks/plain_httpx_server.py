"""ccc-mcp with its CCC client on plain httpx's default transport (`httpx.AsyncHTTPTransport`) instead of
httpx-aiohttp's `AiohttpTransport`: the comparison that keeps the transport choice of docs/architecture.md §4 justified.

    python benchmarks/plain_httpx_server.py --transport stdio
    python benchmarks/plain_httpx_server.py --transport http --port PORT

Configured from the environment exactly like `ccc-mcp serve` (settings, credentials, logging), with the
same pool limits as the default transport (100 connections, 32 kept alive); only the engine differs.
"""

from __future__ import annotations

import argparse

import anyio
import httpx

from ccc_mcp.api.credentials import resolve_credentials
from ccc_mcp.config.logs import configure_logging
from ccc_mcp.config.settings import load_settings


def plain_transport() -> httpx.AsyncHTTPTransport:
    return httpx.AsyncHTTPTransport(limits=httpx.Limits(max_connections=100, max_keepalive_connections=32))


async def serve_stdio() -> None:
    from ccc_mcp.mcpserver.assembly import build_server

    settings = load_settings()
    configure_logging(settings.log_level)
    server = build_server(settings, credentials=resolve_credentials(), transport=plain_transport())
    await server.run_stdio_async()


async def serve_http(port: int) -> None:
    import uvicorn

    from ccc_mcp.transports.streamable_http import build_http_app

    settings = load_settings()
    configure_logging(settings.log_level)
    app = build_http_app(settings, resolve_credentials(), upstream_transport=plain_transport())
    config = uvicorn.Config(
        app,
        host="127.0.0.1",
        port=port,
        log_config=None,
        access_log=False,
        server_header=False,
        timeout_graceful_shutdown=max(1, round(settings.shutdown_grace)),
    )
    await uvicorn.Server(config).serve()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--transport", choices=("stdio", "http"), default="stdio")
    parser.add_argument("--port", type=int, default=8000)
    args = parser.parse_args()
    if args.transport == "http":
        anyio.run(serve_http, args.port)
    else:
        anyio.run(serve_stdio)


if __name__ == "__main__":
    main()
