"""CancelOnGiveUp, driven as uvicorn drives it: a POST's work stops when its client hangs up, or when the
same caller (same credential, same address) sends `notifications/cancelled` for it — and only then."""

from __future__ import annotations

import asyncio
import contextlib
import json
from typing import Any

from mcp.server.transport_security import RequestBodyLimitMiddleware
from starlette.types import Message, Receive, Scope, Send

from ccc_mcp.transports.cancellation import CancelOnGiveUp


class SlowApp:
    """An MCP endpoint whose every call waits until cancelled; it records what it read and how it ended."""

    def __init__(self) -> None:
        self.started = asyncio.Event()
        self.bodies: list[bytes] = []
        self.cancelled = 0

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        message = await receive()
        self.bodies.append(message["body"])
        if b"notifications/cancelled" in message["body"]:
            await send({"type": "http.response.start", "status": 202, "headers": []})
            await send({"type": "http.response.body", "body": b""})
            return
        self.started.set()
        try:
            await asyncio.Event().wait()
        except asyncio.CancelledError:
            self.cancelled += 1
            raise


def post(token: str, peer: str) -> Scope:
    headers = [(b"authorization", f"Bearer {token}".encode()), (b"content-type", b"application/json")]
    return {"type": "http", "method": "POST", "path": "/mcp", "headers": headers, "client": (peer, 50000)}


def client(body: dict[str, Any]) -> tuple[Receive, asyncio.Event, list[Message]]:
    """The client's side: its body, then (once `hang_up` is set) a disconnect; what it was sent."""
    hang_up = asyncio.Event()
    sent: list[Message] = []
    queue = [{"type": "http.request", "body": json.dumps(body).encode(), "more_body": False}]

    async def receive() -> Message:
        if queue:
            return queue.pop()
        await hang_up.wait()
        return {"type": "http.disconnect"}

    return receive, hang_up, sent


CALL = {"jsonrpc": "2.0", "id": 7, "method": "tools/call", "params": {"name": "unmute_call", "arguments": {}}}
CANCEL = {"jsonrpc": "2.0", "method": "notifications/cancelled", "params": {"requestId": 7}}


def _send_to(sent: list[Message]) -> Send:
    async def send(message: Message) -> None:
        sent.append(message)

    return send


async def start_call(
    middleware: CancelOnGiveUp, app: SlowApp, token: str, peer: str
) -> tuple[asyncio.Task[None], asyncio.Event]:
    receive, hang_up, sent = client(CALL)
    task = asyncio.create_task(middleware(post(token, peer), receive, _send_to(sent)))
    await app.started.wait()
    return task, hang_up


async def cancel_from(middleware: CancelOnGiveUp, token: str, peer: str) -> None:
    receive, _, sent = client(CANCEL)
    await middleware(post(token, peer), receive, _send_to(sent))


async def test_the_same_callers_cancellation_stops_the_call_and_the_request_ends_quietly() -> None:
    app = SlowApp()
    middleware = CancelOnGiveUp(app, max_body_bytes=65536)
    task, _ = await start_call(middleware, app, "token-a", "10.0.0.1")
    await cancel_from(middleware, "token-a", "10.0.0.1")
    await task  # our own cancellation ends the request without raising
    assert app.cancelled == 1
    assert app.bodies[0] == json.dumps(CALL).encode(), "the application read the body the client sent"


async def test_another_credential_or_address_cannot_cancel_someone_elses_call() -> None:
    app = SlowApp()
    middleware = CancelOnGiveUp(app, max_body_bytes=65536)
    task, hang_up = await start_call(middleware, app, "token-a", "10.0.0.1")
    await cancel_from(middleware, "token-b", "10.0.0.1")
    await cancel_from(middleware, "token-a", "10.0.0.2")
    for _ in range(20):  # give a wrongly routed cancellation every chance to land (counted loop turns)
        await asyncio.sleep(0)
    assert app.cancelled == 0
    assert not task.done()
    hang_up.set()  # the client itself hangs up: that one stops it
    await task
    assert app.cancelled == 1


async def test_a_client_hanging_up_stops_its_call() -> None:
    app = SlowApp()
    middleware = CancelOnGiveUp(app, max_body_bytes=65536)
    task, hang_up = await start_call(middleware, app, "token-a", "10.0.0.1")
    hang_up.set()
    await task  # noticed once the watcher starts (WATCH_AFTER), then the call is cancelled
    assert app.cancelled == 1


async def test_a_request_that_only_mentions_a_cancellation_cancels_nothing() -> None:
    """The body is decoded only when it may be a cancellation; one that merely quotes the word is not one."""
    app = SlowApp()
    middleware = CancelOnGiveUp(app, max_body_bytes=65536)
    task, hang_up = await start_call(middleware, app, "token-a", "10.0.0.1")
    quoting = {**CALL, "id": 8, "params": {"name": "unmute_call", "arguments": {"note": "notifications/cancelled 7"}}}
    receive, _, sent = client(quoting)
    other = asyncio.create_task(middleware(post("token-a", "10.0.0.1"), receive, _send_to(sent)))
    for _ in range(20):
        await asyncio.sleep(0)
    assert app.cancelled == 0
    assert not task.done()
    hang_up.set()
    await task
    other.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await other


async def test_an_oversized_body_is_not_buffered_but_handed_on_for_the_sdk_to_refuse() -> None:
    """Beyond the limit the application (the SDK's body limit, in the real stack) gets every message as sent
    and answers 413; nothing is held back or reassembled here."""
    refused: list[int] = []

    async def limited(scope: Scope, receive: Receive, send: Send) -> None:
        await RequestBodyLimitMiddleware(SlowApp(), max_body_size=10)(scope, receive, send)

    async def send(message: Message) -> None:
        if message["type"] == "http.response.start":
            refused.append(message["status"])

    chunks = [{"type": "http.request", "body": b"x" * 8, "more_body": True} for _ in range(3)]

    async def receive() -> Message:
        return chunks.pop(0) if chunks else {"type": "http.disconnect"}

    await CancelOnGiveUp(limited, max_body_bytes=10)(post("token-a", "10.0.0.1"), receive, send)
    assert refused == [413]
    assert len(chunks) == 1, "reading stopped at the message that crossed the limit"
