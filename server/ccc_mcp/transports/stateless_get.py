"""`GET /mcp` on the stateless server: 405 Method Not Allowed with `Allow: POST` (architecture.md §4,
"Stateless HTTP").

A client GETs the MCP endpoint to open a stream for messages the server sends of its own accord. A stateless
server has no session to send anything on, so the SDK's handshake-era stateless path would open an event
stream that never carries a message and stays open: a held connection per GET. The spec lets a server that
offers no such stream answer 405; the SDK's own 2026-era path answers so, after the same Host and Origin
checks, and this does the same for every GET. Public SDK API only (its transport security check).
"""

from __future__ import annotations

from mcp.server.transport_security import TransportSecurityMiddleware, TransportSecuritySettings
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Receive, Scope, Send

__all__ = ["RefuseGetStream"]


class RefuseGetStream:
    """ASGI middleware around the SDK's app: a GET of `path` is checked as the SDK checks it (Host, Origin),
    then answered 405 with `Allow: POST`; everything else passes through."""

    def __init__(self, app: ASGIApp, path: str, security: TransportSecuritySettings | None) -> None:
        self.app = app
        self.path = path
        self.security = TransportSecurityMiddleware(security)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "GET" or scope["path"] != self.path:
            await self.app(scope, receive, send)
            return
        refused = await self.security.validate_request(Request(scope, receive), is_post=False)
        if refused is not None:
            await refused(scope, receive, send)
            return
        await Response(status_code=405, headers={"Allow": "POST"})(scope, receive, send)
