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

Most calls end within a few milliseconds, before a hang-up could matter, so the watcher starts only once a
call has run for `WATCH_AFTER` seconds, as one plain task; a task group per request cost more than the rest
of this middleware (docs/architecture.md §4). A client that hangs up sooner is noticed at that point.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
from collections.abc import Callable
from typing import Any

from mcp.server.transport_security import RequestBodyLimitMiddleware
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ccc_mcp.net.json_body import json_object

__all__ = ["WATCH_AFTER", "CancelOnGiveUp"]

WATCH_AFTER = 0.05  # seconds a call runs before anyone listens for its client hanging up


class CancelOnGiveUp:
    """ASGI middleware for POSTs: buffer the body (at most `max_body_bytes`), cancel on give-up."""

    def __init__(self, app: ASGIApp, max_body_bytes: int) -> None:
        self.app = app
        self._in_flight: dict[tuple[str, str], Callable[[], None]] = {}
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
        gone = asyncio.Event()
        task = asyncio.current_task()
        assert task is not None  # uvicorn runs every request in a task of its own
        loop = asyncio.get_running_loop()
        state = {"finished": False, "cancelled": False}
        watcher: list[asyncio.Task[None]] = []

        async def replay() -> Message:
            if pending:
                return pending.pop()
            await gone.wait()
            return {"type": "http.disconnect"}

        def give_up() -> None:
            """The client left or cancelled: stop the call, unless it already finished."""
            if not state["finished"] and not state["cancelled"]:
                state["cancelled"] = True
                task.cancel()

        async def watch() -> None:
            while (await receive())["type"] != "http.disconnect":
                pass
            gone.set()
            give_up()

        timer = loop.call_later(WATCH_AFTER, lambda: watcher.append(loop.create_task(watch())))
        if key is not None:
            self._in_flight[key] = give_up
        try:
            await self.app(scope, replay, send)
        except asyncio.CancelledError:
            if state["cancelled"] and task.uncancel() == 0:
                return  # our own cancellation, and nobody else's: the call is over
            raise
        finally:
            state["finished"] = True
            timer.cancel()
            for running in watcher:
                running.cancel()
            if key is not None and self._in_flight.get(key) is give_up:
                del self._in_flight[key]

    def _cancel_named_request(self, scope: Scope, message: dict[str, Any] | None) -> None:
        if message is None or message.get("method") != "notifications/cancelled":
            return
        params = message.get("params")
        request_id = params.get("requestId") if isinstance(params, dict) else None
        if request_id is None:
            return
        cancel = self._in_flight.get((_caller(scope), json.dumps(request_id)))
        if cancel is not None:
            cancel()


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
