"""Cancel a tool call's work when its client gives up, on the stateless HTTP transport.

A client gives up in one of two ways, and neither reaches the work on its own:
- it hangs up: uvicorn reports that only through `receive()`, which the SDK stops reading once it has the
  body, so the call would run on, and reach CCC, for nobody;
- it sends `notifications/cancelled` (2025-era clients): statelessly, that arrives as a separate POST
  handled by a fresh server instance that knows nothing of the call.

So this middleware reads each POST body itself, hands the application a replay of it, keeps listening for a
disconnect, and remembers the requests in flight so that a cancellation from the same caller (credential and
address), naming one by its JSON-RPC id, to the same process, cancels it. Cancelling the application cancels
the upstream request. A body over the size limit is not buffered here: the application gets what was read
and the rest, and the SDK's own `RequestBodyLimitMiddleware` answers 413. Nothing of a request is decoded
unless a cancellation arrives: only then are the callers and ids of the calls in flight worked out.

It sits behind the request guard and authentication (transports/streamable_http.py): a request that reaches
it has passed the Host, Origin and content-type checks and, where configured, authenticated, so a refused
request (a web page's forged cancellation, say) never reaches the calls in flight.

Most calls end within a few milliseconds, before a hang-up could matter, so the watcher starts only once a
call has run for `WATCH_AFTER` seconds, as one plain task; a task group per request cost more than the rest
of this middleware (docs/architecture.md §4). A client that hangs up sooner is noticed at that point.
"""

from __future__ import annotations

import asyncio
import functools
import hashlib
import json
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ccc_mcp.net.json_body import json_object
from ccc_mcp.net.replay import replaying

__all__ = ["WATCH_AFTER", "CancelOnGiveUp"]

WATCH_AFTER = 0.05  # seconds a call runs before anyone listens for its client hanging up


class CancelOnGiveUp:
    """ASGI middleware for POSTs: buffer the body (at most `max_body_bytes`), cancel on give-up."""

    def __init__(self, app: ASGIApp, max_body_bytes: int) -> None:
        self.app = app
        self.max_body_bytes = max_body_bytes
        self._in_flight: set[_Call] = set()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "POST":
            await self.app(scope, receive, send)
            return
        messages, complete = await _read_body(receive, self.max_body_bytes)
        if complete is None:  # the client left before sending it all
            return
        if not complete:  # over the limit: the SDK's body limit answers 413
            await self.app(scope, replaying(messages, receive), send)
            return
        body = b"".join(message.get("body", b"") for message in messages)
        if _CANCELLED in body:
            self._cancel_named_request(scope, json_object(body))
        await self._run(scope, receive, send, body)

    async def _run(self, scope: Scope, receive: Receive, send: Send, body: bytes) -> None:
        call = _Call(scope, body)
        loop = asyncio.get_running_loop()
        timer = loop.call_later(WATCH_AFTER, call.watch, loop, receive)
        self._in_flight.add(call)
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
            self._in_flight.discard(call)

    def _cancel_named_request(self, scope: Scope, message: dict[str, Any] | None) -> None:
        """A `notifications/cancelled` stops the call in flight it names, if the same caller sent both."""
        if message is None or message.get("method") != "notifications/cancelled":
            return
        params = message.get("params")
        request_id = params.get("requestId") if isinstance(params, dict) else None
        if request_id is None:
            return
        named, sender = json.dumps(request_id), _caller(scope)
        for call in list(self._in_flight):
            if call.request_id() == named and _caller(call.scope) == sender:
                call.give_up()


_CANCELLED = b"notifications/cancelled"


class _Call:
    """One POST in flight: the body replayed to the application, and the means to stop it when its client
    gives up. Built per request, so it holds only what every request needs; the rest comes with the watcher."""

    __slots__ = ("body", "cancelled", "finished", "gone", "pending", "scope", "task", "watcher")

    def __init__(self, scope: Scope, body: bytes) -> None:
        task = asyncio.current_task()
        assert task is not None  # uvicorn runs every request in a task of its own
        self.task = task
        self.scope = scope
        self.body = body
        self.pending: list[Message] = [{"type": "http.request", "body": body, "more_body": False}]
        self.finished = False
        self.cancelled = False
        self.gone: asyncio.Event | None = None  # set once the client hung up; made when someone waits on it
        self.watcher: asyncio.Task[None] | None = None

    async def replay(self) -> Message:
        """The application's `receive`: the body, then (only if it asks again) the client's hang-up."""
        if self.pending:
            return self.pending.pop()
        await self._gone().wait()
        return {"type": "http.disconnect"}

    def _gone(self) -> asyncio.Event:
        if self.gone is None:
            self.gone = asyncio.Event()
        return self.gone

    def request_id(self) -> str | None:
        """The JSON-RPC id of the request this POST carries, as JSON text; worked out only when a
        cancellation asks."""
        message = json_object(self.body)
        if message is None or "id" not in message or "method" not in message:
            return None
        return json.dumps(message["id"])

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
        self._gone().set()
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


async def _read_body(receive: Receive, limit: int) -> tuple[list[Message], bool | None]:
    """The body's messages, and True once all of it is read; False as soon as it exceeds `limit` bytes (the
    rest left unread); None when the client left first."""
    messages: list[Message] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            return messages, None
        messages.append(message)
        size += len(message.get("body", b""))
        if size > limit:
            return messages, False
        if not message.get("more_body", False):
            return messages, True
