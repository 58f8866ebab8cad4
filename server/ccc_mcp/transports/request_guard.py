"""The first check every HTTP request meets, before anything reads, authenticates or acts on it: the Host and
Origin headers (DNS rebinding, and requests a web page makes on a visitor's behalf), a POST's content type,
and a declared body size.

Everything after this — authentication, the give-up watcher that can cancel a call, the SDK's transport —
sees only requests that passed (docs/architecture.md §2). A page on any web site can make a browser POST to
`http://127.0.0.1:8000/mcp` with `Content-Type: text/plain` and no preflight; it is answered here, and no
further: before this order, such a request's `notifications/cancelled` cancelled a victim's call on its way
to the SDK's refusal.

- Host and Origin are matched exactly (scheme, name, port; `net.origins`), on every route but `/healthz`,
  which says nothing but "ok" and which orchestrators probe by the pod's address. A header given twice is
  refused. No Origin (clients that are not browsers) passes.
- A POST must send JSON: `application/json`, parameters allowed. Other types are what a page may send
  without asking the server first.
- A declared `Content-Length` over the body limit is answered 413 at once, before its body is waited for.

The refusals are the SDK transport's own, status and text, so a client sees what it saw before.
"""

from __future__ import annotations

from starlette.responses import Response
from starlette.types import ASGIApp, Receive, Scope, Send

from ccc_mcp.net.origins import HostRule, OriginRule

__all__ = ["OPEN_PATHS", "RequestGuard"]

OPEN_PATHS = frozenset({"/healthz"})  # answered whatever Host and Origin say


class RequestGuard:
    """ASGI middleware answering a refusal for a request that fails a check, and passing on the rest."""

    def __init__(self, app: ASGIApp, *, hosts: HostRule, origins: OriginRule, max_body_bytes: int) -> None:
        self.app = app
        self._hosts = hosts
        self._origins = origins
        self._max_body = max_body_bytes
        # Clients send the same Host (and Origin) request after request: each value's verdict is kept, for a
        # few values only, so that values made up by the thousand cost their parse and no memory.
        self._verdicts: dict[tuple[bool, bytes], bool] = {}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        refusal = self._refusal(scope)
        if refusal is not None:
            await refusal(scope, receive, send)
            return
        await self.app(scope, receive, send)

    def _refusal(self, scope: Scope) -> Response | None:
        hosts: list[bytes] = []
        origins: list[bytes] = []
        content_type = length = None
        for name, value in scope["headers"]:
            if name == b"host":
                hosts.append(value)
            elif name == b"origin":
                origins.append(value)
            elif name == b"content-type" and content_type is None:
                content_type = value
            elif name == b"content-length":
                length = value
        if scope["path"] not in OPEN_PATHS:
            if len(hosts) != 1 or not self._allows(True, hosts[0]):
                return Response("Invalid Host header", status_code=421)
            if len(origins) > 1 or (origins and not self._allows(False, origins[0])):
                return Response("Invalid Origin header", status_code=403)
        if scope["method"] == "POST" and not _is_json(content_type):
            return Response("Invalid Content-Type header", status_code=400)
        if length is not None and length.isdigit() and int(length) > self._max_body:
            return Response("Request body too large", status_code=413)
        return None


    def _allows(self, host: bool, value: bytes) -> bool:
        """Whether the Host (`host`) or Origin value is allowed."""
        verdict = self._verdicts.get((host, value))
        if verdict is None:
            text = value.decode("latin-1")
            verdict = self._hosts.allows(text) if host else self._origins.allows(text)
            if len(self._verdicts) < _VERDICTS_KEPT:
                self._verdicts[host, value] = verdict
        return verdict


_VERDICTS_KEPT = 64


def _is_json(content_type: bytes | None) -> bool:
    """`application/json`, with or without parameters (`; charset=utf-8`), in any case."""
    return content_type is not None and content_type.split(b";", 1)[0].strip().lower() == b"application/json"
