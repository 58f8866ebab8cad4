"""A request's messages handed on as if unread: the ones already read first, in their order, then the
client's own."""

from __future__ import annotations

from starlette.types import Message

from ccc_mcp.net.replay import replaying


async def test_the_messages_read_come_back_in_order_then_the_clients_own() -> None:
    read: list[Message] = [
        {"type": "http.request", "body": b"first", "more_body": True},
        {"type": "http.request", "body": b"second", "more_body": True},
    ]
    later: list[Message] = [{"type": "http.request", "body": b"third", "more_body": False}, {"type": "http.disconnect"}]

    async def client() -> Message:
        return later.pop(0)

    receive = replaying(list(read), client)
    got = [await receive() for _ in range(4)]
    assert [message.get("body") for message in got] == [b"first", b"second", b"third", None]
    assert got[3] == {"type": "http.disconnect"}
