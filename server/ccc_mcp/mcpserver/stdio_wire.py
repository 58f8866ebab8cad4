"""What the SDK's stdio transport does with a line and a message, for `transports.stdio`'s own transport
(architecture.md §4, "stdio on the event loop"), pinned against the SDK by tests/mcpserver/test_sdk_pins.py:
how it turns a line of stdin into a read-stream item (UTF-8 with invalid bytes replaced; a line that is not
a JSON-RPC message becomes the validation exception itself), and how it writes a message (one compact JSON
line, aliases, unset fields left out). Public SDK API only; the stream protocols the SDK's serving loops
take are restated here (structural types: the SDK's own live in a private module).
"""

from __future__ import annotations

from types import TracebackType
from typing import Protocol, Self, TypeAlias, TypeVar

import anyio
from mcp.shared.message import SessionMessage
from mcp_types import jsonrpc_message_adapter

__all__ = [
    "ClosingStream",
    "ReadStream",
    "ReadStreamBase",
    "StdioItem",
    "WriteStream",
    "decode_stdio_line",
    "encode_stdio_message",
]

StdioItem: TypeAlias = SessionMessage | Exception
"""What the server's read stream carries: a message, or the exception a line that is not one raised."""

_Item_co = TypeVar("_Item_co", covariant=True)
_Item_contra = TypeVar("_Item_contra", contravariant=True)


class ReadStream(Protocol[_Item_co]):
    """A stream the SDK's serving loops read (a sender's context, if it keeps one, in `last_context`)."""

    async def receive(self) -> _Item_co: ...
    async def aclose(self) -> None: ...
    def __aiter__(self) -> ReadStream[_Item_co]: ...
    async def __anext__(self) -> _Item_co: ...
    async def __aenter__(self) -> Self: ...
    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> bool | None: ...


class WriteStream(Protocol[_Item_contra]):
    """A stream the SDK's serving loops write."""

    async def send(self, item: _Item_contra, /) -> None: ...
    async def aclose(self) -> None: ...
    async def __aenter__(self) -> Self: ...
    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> bool | None: ...


class ClosingStream:
    """What both stream protocols ask beyond `aclose`: use as an async context manager that closes the stream."""

    async def aclose(self) -> None:
        raise NotImplementedError

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> bool | None:
        await self.aclose()
        return None


class ReadStreamBase(ClosingStream):
    """What `ReadStream` asks beyond `receive` and `aclose`: iteration that ends with the stream."""

    async def receive(self) -> StdioItem:
        raise NotImplementedError

    def __aiter__(self) -> Self:
        return self

    async def __anext__(self) -> StdioItem:
        try:
            return await self.receive()
        except (anyio.EndOfStream, anyio.ClosedResourceError):
            raise StopAsyncIteration from None


def decode_stdio_line(line: bytes) -> StdioItem:
    """One line of stdin as the SDK's stdio transport makes it a read-stream item: decoded as UTF-8 with
    invalid bytes replaced, then validated as a JSON-RPC message; a line that is not one becomes the
    exception, which the server's loop logs and skips."""
    text = line.decode("utf-8", errors="replace")
    try:
        message = jsonrpc_message_adapter.validate_json(text, by_name=False)
    except Exception as exc:
        return exc
    return SessionMessage(message)


def encode_stdio_message(session_message: SessionMessage) -> bytes:
    """One message as the SDK's stdio transport writes it (compact JSON, aliases, unset fields left out,
    non-ASCII as UTF-8), newline included. Serialised straight to bytes: the same bytes `model_dump_json`
    would give, without the round trip through str and back."""
    message = session_message.message
    encoded = message.__pydantic_serializer__.to_json(message, by_alias=True, exclude_unset=True)
    return encoded + b"\n"
