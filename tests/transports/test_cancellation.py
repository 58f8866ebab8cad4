"""CancelOnGiveUp, driven as uvicorn drives it: a POST's work stops when its client hangs up, or when the
same caller (same credential, same address) sends `notifications/cancelled` for it — and only then."""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from mcp.server.transport_security import RequestBodyLimitMiddleware
from starlette.types import Message, Receive, Scope, Send

from ccc_mcp.transports import cancellation
from ccc_mcp.transports.cancellation import CancelOnGiveUp
from tests.fakes import FakeCcc, HeldUpstream
from tests.transports.conftest import JSON_HEADERS


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
ARGS_CALL = {"name": "unmute_call", "arguments": {"instance_id": "ccc-test", "user_id": "agent@ccc-test"}}


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


async def finished(task: asyncio.Task[None], turns: int = 50) -> bool:
    """Whether `task` ends within `turns` turns of the event loop (counted, not timed)."""
    for _ in range(turns):
        if task.done():
            break
        await asyncio.sleep(0)
    return task.done()


async def cancel_from(middleware: CancelOnGiveUp, token: str, peer: str) -> None:
    receive, _, sent = client(CANCEL)
    await middleware(post(token, peer), receive, _send_to(sent))
    assert sent[0]["status"] == 202, "the cancellation itself reached the application and was answered"


async def test_the_same_callers_cancellation_stops_the_call_and_the_request_ends_quietly() -> None:
    app = SlowApp()
    middleware = CancelOnGiveUp(app, max_body_bytes=65536)
    task, _ = await start_call(middleware, app, "token-a", "10.0.0.1")
    await cancel_from(middleware, "token-a", "10.0.0.1")
    assert await finished(task), "the named call stopped"
    await task  # our own cancellation ends the request without raising
    assert app.cancelled == 1
    assert app.bodies[0] == json.dumps(CALL).encode(), "the application read the body the client sent"


async def test_another_credential_or_address_cannot_cancel_someone_elses_call(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(cancellation, "WATCH_AFTER", 0)
    app = SlowApp()
    middleware = CancelOnGiveUp(app, max_body_bytes=65536)
    task, hang_up = await start_call(middleware, app, "token-a", "10.0.0.1")
    await cancel_from(middleware, "token-b", "10.0.0.1")
    await cancel_from(middleware, "token-a", "10.0.0.2")
    assert not await finished(task), "a wrongly routed cancellation had every chance to land"
    assert app.cancelled == 0
    hang_up.set()  # the client itself hangs up: that one stops it
    assert await finished(task)
    await task
    assert app.cancelled == 1


async def test_a_client_hanging_up_stops_its_call(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(cancellation, "WATCH_AFTER", 0)  # listen from the start: loop turns can be counted
    app = SlowApp()
    middleware = CancelOnGiveUp(app, max_body_bytes=65536)
    task, hang_up = await start_call(middleware, app, "token-a", "10.0.0.1")
    hang_up.set()
    assert await finished(task), "the call stopped once its client hung up"
    await task
    assert app.cancelled == 1


async def test_a_request_that_only_mentions_a_cancellation_cancels_nothing() -> None:
    """The body is decoded only when it may be a cancellation; one that merely quotes the word is not one."""
    app = SlowApp()
    middleware = CancelOnGiveUp(app, max_body_bytes=65536)
    task, hang_up = await start_call(middleware, app, "token-a", "10.0.0.1")
    quoting = {**CALL, "id": 8, "params": {"name": "unmute_call", "arguments": {"note": "notifications/cancelled 7"}}}
    receive, _, sent = client(quoting)
    other = asyncio.create_task(middleware(post("token-a", "10.0.0.1"), receive, _send_to(sent)))
    assert not await finished(task)
    assert app.cancelled == 0
    assert len(app.bodies) == 2, "the quoting request reached the application as a call of its own"
    hang_up.set()
    await asyncio.wait([task])  # the watcher notices the hang-up after WATCH_AFTER
    other.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await other


async def test_an_oversized_body_is_not_buffered_but_handed_on_as_sent() -> None:
    """Beyond the limit the application gets every message as the client sent it, the unread rest included;
    nothing is held back or reassembled here."""
    seen: list[tuple[int, bool]] = []

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        while True:
            message = await receive()
            seen.append((len(message.get("body", b"")), message.get("more_body", False)))
            if not message.get("more_body", False):
                return

    sent = [{"type": "http.request", "body": b"x" * 8, "more_body": index < 2} for index in range(3)]

    async def receive() -> Message:
        return sent.pop(0)

    await CancelOnGiveUp(app, max_body_bytes=10)(post("token-a", "10.0.0.1"), receive, _send_to([]))
    assert seen == [(8, True), (8, True), (8, False)]


async def test_the_sdks_body_limit_then_refuses_it() -> None:
    refused: list[int] = []

    async def limited(scope: Scope, receive: Receive, send: Send) -> None:
        await RequestBodyLimitMiddleware(SlowApp(), max_body_size=10)(scope, receive, send)

    async def send(message: Message) -> None:
        if message["type"] == "http.response.start":
            refused.append(message["status"])

    chunks = [{"type": "http.request", "body": b"x" * 8, "more_body": True} for _ in range(3)]

    async def receive() -> Message:
        return chunks.pop(0)

    await CancelOnGiveUp(limited, max_body_bytes=10)(post("token-a", "10.0.0.1"), receive, send)
    assert refused == [413]


# --- through the whole HTTP application ------------------------------------------------------------------

async def test_the_same_callers_cancellation_stops_the_call_and_leaves_a_cancelled_audit_line(
    http_server: Callable[..., Any], fake_ccc: FakeCcc, tmp_path: Path
) -> None:
    """Over HTTP, as a 2025-era client cancels: its call's request to CCC is abandoned, and the call is still
    audited, with outcome `Cancelled` (it may have reached CCC), like any other call."""
    held = HeldUpstream()
    fake_ccc.answer(held)
    audit = tmp_path / "audit.jsonl"
    era = {**JSON_HEADERS, "mcp-protocol-version": "2025-11-25"}
    async with http_server(audit_log=str(audit)) as running, httpx.AsyncClient(timeout=30) as http:
        victim = asyncio.create_task(http.post(running.mcp_url, json={**CALL, "params": ARGS_CALL}, headers=era))
        await held.wait(victim)
        answer = await http.post(running.mcp_url, json=CANCEL, headers=era)
        await asyncio.wait([victim])
    assert answer.status_code == 202
    assert held.cancelled == 1
    [record] = [json.loads(line) for line in audit.read_text().splitlines()]
    assert (record["tool"], record["user"], record["outcome"]) == ("unmute_call", "agent@ccc-test", "Cancelled")
