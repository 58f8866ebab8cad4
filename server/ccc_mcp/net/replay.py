"""Giving an ASGI application a request's messages again: middleware that had to read the body first (the
give-up watcher, the HTTP exchange) hands it on as if unread."""

from __future__ import annotations

from starlette.types import Message, Receive

__all__ = ["replaying"]


def replaying(messages: list[Message], receive: Receive) -> Receive:
    """A `receive` that gives back the messages already read, in order, then the client's own."""
    pending = messages[::-1]

    async def replay() -> Message:
        return pending.pop() if pending else await receive()

    return replay
