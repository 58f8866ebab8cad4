"""Requests read from stdin but not yet answered, so that the end of stdin waits for their answers
(architecture.md §2): kept by our event-loop transport (`stdio_pipes`), and around the SDK's own stdio
transport by `NotingReads` / `NotingWrites`."""

from __future__ import annotations

import logging
from typing import Any

import anyio
from mcp.shared.message import SessionMessage
from mcp_types import JSONRPCError, JSONRPCNotification, JSONRPCRequest, JSONRPCResponse, RequestId

from ccc_mcp.mcpserver.stdio_wire import ClosingStream, ReadStream, ReadStreamBase, StdioItem, WriteStream

__all__ = ["InFlight", "NotingReads", "NotingWrites"]

log = logging.getLogger(__name__)


class InFlight:
    """Requests read but not yet answered, so that the end of stdin waits for their answers.

    The SDK's loop cancels whatever is in flight when its read stream ends; a client that writes its
    requests and closes stdin (a script, `< requests.jsonl`) would get "Connection closed" for the last
    ones. Holding the read stream open until each is answered, cancelled by the client, or `grace` runs
    out, lets them finish as an HTTP server drains on SIGTERM.
    """

    def __init__(self) -> None:
        self._open: set[RequestId | None] = set()
        self._changed: anyio.Event | None = None

    def read(self, item: StdioItem) -> None:
        if not isinstance(item, SessionMessage):
            return
        message = item.message
        if isinstance(message, JSONRPCRequest):
            self._open.add(message.id)
        elif isinstance(message, JSONRPCNotification) and message.method == "notifications/cancelled":
            self._settled((message.params or {}).get("requestId"))

    def written(self, item: SessionMessage) -> None:
        message = item.message
        if isinstance(message, JSONRPCResponse | JSONRPCError):
            self._settled(message.id)

    def _settled(self, request_id: RequestId | None) -> None:
        self._open.discard(request_id)
        if self._changed is not None:
            self._changed.set()

    async def settle(self, grace: float) -> None:
        """Return once every request read has been answered, or after `grace` seconds."""
        with anyio.move_on_after(grace):
            while self._open:
                self._changed = anyio.Event()
                await self._changed.wait()
        if self._open:
            log.warning("stdin closed; %d request(s) still unanswered after %.1f s", len(self._open), grace)

class NotingReads(ReadStreamBase):
    """The SDK transport's read stream, noting each request read; at its end, it ends once the requests read
    have been answered (or `grace` seconds have passed). The sender's context is the SDK stream's."""

    def __init__(self, inner: ReadStream[StdioItem], inflight: InFlight, grace: float) -> None:
        self._inner = inner
        self._inflight = inflight
        self._grace = grace
        self._settled = False

    @property
    def last_context(self) -> Any:
        return getattr(self._inner, "last_context", None)

    async def receive(self) -> StdioItem:
        try:
            item = await self._inner.receive()
        except anyio.EndOfStream:
            if not self._settled:
                self._settled = True
                await self._inflight.settle(self._grace)
            raise
        self._inflight.read(item)
        return item

    async def aclose(self) -> None:
        await self._inner.aclose()


class NotingWrites(ClosingStream):
    """The SDK transport's write stream, noting each answer on its way out."""

    def __init__(self, inner: WriteStream[SessionMessage], inflight: InFlight) -> None:
        self._inner = inner
        self._inflight = inflight

    async def send(self, item: SessionMessage, /) -> None:
        await self._inner.send(item)
        self._inflight.written(item)

    async def aclose(self) -> None:
        await self._inner.aclose()
