"""stdio driven by the event loop (architecture.md §4, "stdio on the event loop"): the server's read and write
streams over two pipe (or socket) descriptors, with asyncio's pipe transports instead of the SDK's
worker-thread file wrappers. The server's loop reads stdin itself (`PipeLines`, no task in between) and each
answer is written by the task that sends it (`PipeWriter`), each line decoded as the SDK decodes it and each
message written as the SDK writes it (`mcpserver.stdio_wire`, pinned there). A fast path by choice, though
it uses no SDK internal: `CCC_MCP_SDK_FAST_PATHS=off` serves stdio by the SDK's own transport."""

from __future__ import annotations

import asyncio
import io
import logging
import os
from collections import deque
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager, suppress

import anyio
from mcp.shared.message import SessionMessage

from ccc_mcp.mcpserver.stdio_wire import (
    ClosingStream,
    ReadStreamBase,
    StdioItem,
    decode_stdio_line,
    encode_stdio_message,
)
from ccc_mcp.transports.stdio_inflight import InFlight

__all__ = ["PipeLines", "PipeWriter", "event_loop_streams"]

log = logging.getLogger(__name__)

_CHUNK = 64 * 1024  # bytes read at a time; stdin is paused while twice this waits unread


@asynccontextmanager
async def event_loop_streams(
    read_fd: int, write_fd: int, *, grace: float
) -> AsyncIterator[tuple[PipeLines, PipeWriter]]:
    """The server's read and write streams over two pipe (or socket) descriptors, driven by the event loop.

    The descriptors stay open (the caller owns them); asyncio makes them non-blocking, and their blocking
    mode is put back on exit, since a parent shell or another process may share them.
    """
    loop = asyncio.get_running_loop()
    inflight = InFlight()
    with _blocking_mode_restored(read_fd, write_fd):
        reader = asyncio.StreamReader(limit=_CHUNK, loop=loop)
        read_transport, _ = await loop.connect_read_pipe(
            lambda: asyncio.StreamReaderProtocol(reader, loop=loop), _borrowed(read_fd, "rb")
        )
        writer = await PipeWriter.open(write_fd, inflight)
        try:
            yield PipeLines(reader, inflight, grace), writer
        finally:
            read_transport.close()
            await writer.close(grace)


def _borrowed(fd: int, mode: str) -> io.FileIO:
    """The file object asyncio's pipe transports want, which leaves the descriptor open when they close."""
    return io.FileIO(fd, mode, closefd=False)


class PipeLines(ReadStreamBase):
    """The server's read stream (the SDK's `ReadStream`): each line of stdin as the item the SDK's transport
    makes of it, read by whoever asks for the next one (the server's own loop), with no task and no memory
    stream in between: a request reaches the server one task switch sooner. The pipe is read only while the
    server asks, and stdin is paused while twice `_CHUNK` waits unread: that is the back-pressure. No limit
    on a line's length. When stdin ends, the stream ends once the requests read have been answered (or
    `grace` seconds have passed): see `InFlight`."""

    def __init__(self, reader: asyncio.StreamReader, inflight: InFlight, grace: float) -> None:
        self._reader = reader
        self._inflight = inflight
        self._grace = grace
        self._ready: deque[StdioItem] = deque()
        self._partial: list[bytes] = []
        self._at_end = False
        self._settled = False  # the end of stdin has waited for the requests in flight (once)
        self._closed = False

    async def receive(self) -> StdioItem:
        while not self._ready:
            if self._closed:
                raise anyio.ClosedResourceError
            if self._at_end:
                if not self._settled:
                    self._settled = True
                    await self._inflight.settle(self._grace)
                raise anyio.EndOfStream
            chunk = await self._reader.read(_CHUNK)
            if chunk:
                self._take(chunk)
            else:
                self._at_end = True
                if self._partial:  # a last line without its newline
                    self._add(b"".join(self._partial))
                    self._partial.clear()
        item = self._ready.popleft()
        self._inflight.read(item)
        return item

    def _take(self, chunk: bytes) -> None:
        start = 0
        while (end := chunk.find(b"\n", start)) >= 0:
            line = chunk[start : end + 1]
            if self._partial:
                self._partial.append(line)
                line = b"".join(self._partial)
                self._partial.clear()
            self._add(line)
            start = end + 1
        if start < len(chunk):
            self._partial.append(chunk[start:])

    def _add(self, line: bytes) -> None:
        self._ready.extend(decode_stdio_line(text_line) for text_line in _universal_lines(line))

    async def aclose(self) -> None:
        self._closed = True


def _universal_lines(line: bytes) -> list[bytes]:
    """The lines the SDK's text wrapper (universal newlines) makes of `line`: a lone CR ends a line too,
    and CR LF or CR reads as LF."""
    if b"\r" not in line:
        return [line]
    return line.replace(b"\r\n", b"\n").replace(b"\r", b"\n").splitlines(keepends=True)


class _WireProtocol(asyncio.Protocol):
    """stdout's pipe as asyncio sees it: whether the kernel has room, and whether the client hung up."""

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self._paused = False
        self._waiters: deque[asyncio.Future[None]] = deque()
        self.closed: asyncio.Future[None] = loop.create_future()

    def pause_writing(self) -> None:
        self._paused = True

    def resume_writing(self) -> None:
        self._paused = False
        self._wake()

    def connection_lost(self, exc: Exception | None) -> None:
        if not self.closed.done():
            self.closed.set_result(None)
        self._wake()

    def _wake(self) -> None:
        for waiter in self._waiters:
            if not waiter.done():
                waiter.set_result(None)

    async def room(self) -> None:
        """Return once the pipe takes more; raise ConnectionResetError once the client has hung up."""
        while self._paused and not self.closed.done():
            waiter = asyncio.get_running_loop().create_future()
            self._waiters.append(waiter)
            try:
                await waiter
            finally:
                self._waiters.remove(waiter)
        if self.closed.done():
            raise ConnectionResetError("stdout closed")


class PipeWriter(ClosingStream):
    """The server's write stream: each message goes to the pipe as one line from the sending task itself
    (no writer task to hand it to), and `send` returns once the pipe has room again, so a slow client
    slows the server rather than growing its memory. A line is handed to the transport whole, so
    concurrent senders never interleave. Once the client has hung up, messages are dropped."""

    def __init__(self, transport: asyncio.WriteTransport, wire: _WireProtocol, inflight: InFlight) -> None:
        self._transport = transport
        self._wire = wire
        self._inflight = inflight
        self._closed = False
        self._lost = False

    @classmethod
    async def open(cls, fd: int, inflight: InFlight) -> PipeWriter:
        loop = asyncio.get_running_loop()
        transport, wire = await loop.connect_write_pipe(lambda: _WireProtocol(loop), _borrowed(fd, "wb"))
        return cls(transport, wire, inflight)

    async def send(self, item: SessionMessage, /) -> None:
        if self._closed:
            raise anyio.ClosedResourceError
        if not self._lost:
            self._transport.write(encode_stdio_message(item))
            try:
                await self._wire.room()
            except ConnectionResetError:
                self._lost = True
                log.warning("stdout was closed by the client; further messages are dropped")
        self._inflight.written(item)

    async def aclose(self) -> None:
        self._closed = True

    async def close(self, grace: float) -> None:
        """Flush what is buffered (for up to `grace` seconds) and let go of the descriptor."""
        self._closed = True
        self._transport.close()
        with anyio.move_on_after(grace):
            await self._wire.closed
        if not self._wire.closed.done():
            self._transport.abort()


@contextmanager
def _blocking_mode_restored(*fds: int) -> Iterator[None]:
    """asyncio makes its pipes non-blocking, a flag of the open file the descriptors share with whoever
    else holds it (the client, a parent shell): put back what it was."""
    modes = [(fd, os.get_blocking(fd)) for fd in fds]
    try:
        yield
    finally:
        for fd, blocking in modes:
            with suppress(OSError):
                os.set_blocking(fd, blocking)
