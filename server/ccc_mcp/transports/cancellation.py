"""Cancel a tool call's work when its client gives up, on the stateless HTTP transport.

A client gives up in one of two ways, and neither reaches the work on its own:
- it hangs up: uvicorn reports that only through `receive()`, which the SDK stops reading once it has the
  body, so the call would run on, and reach CCC, for nobody;
- it sends `notifications/cancelled` (2025-era clients): statelessly, that arrives as a separate POST
  handled by a fresh server instance that knows nothing of the call.

So this middleware reads each POST body itself (bounded by the SDK's `RequestBodyLimitMiddleware`, which
answers 413 beyond the limit), hands the application a replay of it, keeps listening for a disconnect, and
remembers in-flight requests by (caller, JSON-RPC id) so that a cancellation from the same caller, to the
same process, cancels them. Cancelling the application cancels the upstream request.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

import anyio
from mcp.server.transport_security import RequestBodyLimitMiddleware
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ccc_mcp.net.json_body import json_object

__all__ = ["CancelOnGiveUp"]


class CancelOnGiveUp:
    """ASGI middleware for POSTs: buffer the body (at most `max_body_bytes`), cancel on give-up."""

    def __init__(self, app: ASGIApp, max_body_bytes: int) -> None:
        self.app = app
        self._in_flight: dict[tuple[str, str], anyio.CancelScope] = {}
        self._bounded_post = RequestBodyLimitMiddleware(self._post, max_body_bytes)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "POST":
            await self.app(scope, receive, send)
            return
        await self._bounded_post(scope, receive, send)

    async def _post(self, scope: Scope, receive: Receive, send: Send) -> None:
        body = await _read_body(receive)
        if body is None:  # the client left before sending it all
            return
        message = json_object(body)
        self._cancel_named_request(scope, message)
        key = _request_key(scope, message)
        await self._run(scope, receive, send, body, key)

    async def _run(self, scope: Scope, receive: Receive, send: Send, body: bytes, key: tuple[str, str] | None) -> None:
        pending: list[Message] = [{"type": "http.request", "body": body, "more_body": False}]
        gone = anyio.Event()

        async def replay() -> Message:
            if pending:
                return pending.pop()
            await gone.wait()
            return {"type": "http.disconnect"}

        async with anyio.create_task_group() as group:

            async def watch() -> None:
                while (await receive())["type"] != "http.disconnect":
                    pass
                gone.set()
                group.cancel_scope.cancel()

            if key is not None:
                self._in_flight[key] = group.cancel_scope
            try:
                group.start_soon(watch)
                await self.app(scope, replay, send)
                group.cancel_scope.cancel()
            finally:
                if key is not None and self._in_flight.get(key) is group.cancel_scope:
                    del self._in_flight[key]

    def _cancel_named_request(self, scope: Scope, message: dict[str, Any] | None) -> None:
        if message is None or message.get("method") != "notifications/cancelled":
            return
        params = message.get("params")
        request_id = params.get("requestId") if isinstance(params, dict) else None
        if request_id is None:
            return
        scope_to_cancel = self._in_flight.get((_caller(scope), json.dumps(request_id)))
        if scope_to_cancel is not None:
            scope_to_cancel.cancel()


def _caller(scope: Scope) -> str:
    """Who sent it: the credential presented (hashed) and the peer address, so no one cancels others' calls."""
    authorization = next((v for k, v in scope.get("headers", []) if k == b"authorization"), b"")
    client = scope.get("client") or ("", 0)
    return f"{hashlib.sha256(authorization).hexdigest()[:16]}@{client[0]}"


def _request_key(scope: Scope, message: dict[str, Any] | None) -> tuple[str, str] | None:
    if message is None or "id" not in message or "method" not in message:
        return None
    return _caller(scope), json.dumps(message["id"])


async def _read_body(receive: Receive) -> bytes | None:
    """The whole (already size-checked) body; None when the client left first."""
    chunks: list[bytes] = []
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            return None
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            return b"".join(chunks)
