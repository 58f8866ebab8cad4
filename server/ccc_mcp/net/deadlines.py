"""Deadlines for reading a request: uvicorn's HTTP/1.1 protocol (h11) with a time limit on a request's headers
and another on its body.

uvicorn gives a connection no such limit: a client that sends half a request line, or a body one byte at a
time, holds its connection (and, once the headers are in, a task of the application) for as long as it
likes; its keep-alive timer only closes a connection idle between requests, and any byte stops it. Here a
connection must deliver a request's headers within `read_timeout` seconds of opening (or of the first byte
of a later request on it), and then its body within `read_timeout` seconds more; otherwise it is closed. An
application that was reading the body sees the client leave (`http.disconnect`), as for any hang-up. The
answer itself is not timed: a slow call to CCC keeps its connection as long as it runs.

The state comes from h11's own connection (`their_state`): IDLE while the headers are awaited, SEND_BODY
while the body is. tests/net/test_deadlines.py pins the uvicorn behaviour this relies on.
"""

from __future__ import annotations

import asyncio
import functools
import logging
from collections.abc import Callable
from typing import Any, Literal

import h11
from uvicorn.protocols.http.h11_impl import H11Protocol

__all__ = ["DeadlineH11Protocol", "timed_http"]

log = logging.getLogger(__name__)

Phase = Literal["headers", "body"]


class DeadlineH11Protocol(H11Protocol):
    """uvicorn's h11 protocol, closing a connection whose request's headers or body arrive too slowly."""

    def __init__(self, *args: Any, read_timeout: float, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._read_timeout = read_timeout
        self._phase: Phase | None = None
        self._timer: asyncio.TimerHandle | None = None

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._start("headers")

    def data_received(self, data: bytes) -> None:
        super().data_received(data)
        self._follow()

    def on_response_complete(self) -> None:
        super().on_response_complete()
        self._follow()  # a request read ahead (pipelined) may now be under way

    def connection_lost(self, exc: Exception | None) -> None:
        self._start(None)
        super().connection_lost(exc)

    def _follow(self) -> None:
        """Time what the client is sending now: the headers of a request begun (bytes of it are waiting), its
        body, or nothing (a request fully read, or an idle kept-alive connection: uvicorn's own timer)."""
        state = self.conn.their_state
        if state is h11.SEND_BODY:
            phase: Phase | None = "body"
        elif state is h11.IDLE and self.conn.trailing_data[0]:
            phase = "headers" if self._phase is None else self._phase
        elif state is h11.IDLE and self._phase == "headers":
            phase = "headers"  # a fresh connection, still waiting for its first byte
        else:
            phase = None
        if phase != self._phase:
            self._start(phase)

    def _start(self, phase: Phase | None) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        self._phase = phase
        if phase is not None:
            self._timer = self.loop.call_later(self._read_timeout, self._expire, phase)

    def _expire(self, phase: Phase) -> None:
        self._timer = None
        if self._phase != phase or self.transport.is_closing():
            return
        log.info("Closed a connection from %s: its request's %s took over %g s", _peer(self.client), phase,
                 self._read_timeout)  # fmt: skip
        self._phase = None
        self.transport.close()


def _peer(client: tuple[str, int] | None) -> str:
    return f"{client[0]}:{client[1]}" if client else "an unknown address"


def timed_http(read_timeout: float) -> Callable[..., H11Protocol]:
    """What uvicorn's `http` option takes: the protocol class with the deadline bound in. A partial of a class
    defined at module level, so a `--workers` config still pickles."""
    return functools.partial(DeadlineH11Protocol, read_timeout=read_timeout)
