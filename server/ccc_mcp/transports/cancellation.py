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
import functools
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
        call = _Call(body)
        loop = asyncio.get_running_loop()
        timer = loop.call_later(WATCH_AFTER, call.watch, loop, receive)
        if key is not None:
            self._in_flight[key] = call.give_up
        try:
            await self.app(scope, call.replay, send)
        except asyncio.CancelledError:
            if call.cancelled and call.task.uncancel() == 0:
                return  # our own cancellation, and nobody else's: the call is over
            raise
        finally:
            call.finished = True
            timer.cancel()
            if call.watcher is not None:
                call.watcher.cancel()
            if key is not None and self._in_flight.get(key) == call.give_up:
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


class _Call:
    """One POST in flight: the body replayed to the application, and the means to stop it when its client
    gives up. Built per request, so it holds only what every request needs; the rest comes with the watcher."""

    __slots__ = ("cancelled", "finished", "gone", "pending", "task", "watcher")

    def __init__(self, body: bytes) -> None:
        task = asyncio.current_task()
        assert task is not None  # uvicorn runs every request in a task of its own
        self.task = task
        self.pending: list[Message] = [{"type": "http.request", "body": body, "more_body": False}]
        self.finished = False
        self.cancelled = False
        self.gone: asyncio.Event | None = None  # set once the client hung up; made when someone waits on it
        self.watcher: asyncio.Task[None] | None = None

    async def replay(self) -> Message:
        """The application's `receive`: the body, then (only if it asks again) the client's hang-up."""
        if self.pending:
            return self.pending.pop()
        if self.gone is None:
            self.gone = asyncio.Event()
        await self.gone.wait()
        return {"type": "http.disconnect"}

    def give_up(self) -> None:
        """The client left or cancelled: stop the call, unless it already finished."""
        if not self.finished and not self.cancelled:
            self.cancelled = True
            self.task.cancel()

    def watch(self, loop: asyncio.AbstractEventLoop, receive: Receive) -> None:
        """From `WATCH_AFTER` on, listen for the client hanging up."""
        if not self.finished:
            self.watcher = loop.create_task(self._listen(receive))

    async def _listen(self, receive: Receive) -> None:
        while (await receive())["type"] != "http.disconnect":
            pass
        if self.gone is None:
            self.gone = asyncio.Event()
        self.gone.set()
        self.give_up()


def _caller(scope: Scope) -> str:
    """Who sent it: the credential presented (hashed) and the peer address, so no one cancels others' calls."""
    authorization = b""
    for name, value in scope.get("headers", ()):
        if name == b"authorization":
            authorization = value
            break
    client = scope.get("client") or ("", 0)
    return f"{_credential_digest(authorization)}@{client[0]}"


@functools.lru_cache(maxsize=256)
def _credential_digest(authorization: bytes) -> str:
    """A client sends the same credential call after call: hash it once, not per request."""
    return hashlib.sha256(authorization).hexdigest()[:16]


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
