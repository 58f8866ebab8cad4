"""stdio driven by the event loop (architecture.md §1 and §4, "stdio on the event loop").

The SDK's stdio transport reads stdin and writes stdout through worker-thread file wrappers, so every
message costs two thread hand-offs. When stdin and stdout are pipes or sockets, this transport reads and
writes them on the event loop instead (asyncio's pipe transports): the server's loop reads stdin itself
(`PipeLines`, no task in between) and each answer is written by the task that sends it (`PipeWriter`), each
line decoded as the SDK decodes it and each message written as the SDK writes it (`mcpserver.adapter`,
pinned there). Anything else — a regular file, a terminal, one socket for both
directions, an event loop that is not asyncio's, Windows — is served by the SDK's own transport.

Both keep the SDK's guarantees (fd 0 and 1 diverted while serving, so stray output misses the protocol
stream; back-pressure; UTF-8 both ways) and add one: when stdin ends, the requests already read are
answered before the server exits (within `grace` seconds), where the SDK's loop would cancel them.
"""

from __future__ import annotations

import asyncio
import io
import logging
import os
import stat
import sys
from collections import deque
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import ExitStack, asynccontextmanager, contextmanager, suppress
from typing import Literal

import anyio
from mcp.server.mcpserver import MCPServer
from mcp.server.stdio import stdio_server
from mcp.shared.message import SessionMessage
from mcp_types import JSONRPCError, JSONRPCNotification, JSONRPCRequest, JSONRPCResponse, RequestId

from ccc_mcp.mcpserver.adapter import (
    ReadStreamBase,
    StdioItem,
    WriteStream,
    decode_stdio_line,
    encode_stdio_message,
    serve_on_streams,
    stdio_read_channel,
)

if sys.platform != "win32":
    import fcntl

__all__ = [
    "EVENT_LOOP",
    "SDK",
    "InFlight",
    "PipeLines",
    "PipeWriter",
    "TransportChoice",
    "choose_transport",
    "event_loop_streams",
    "serve_stdio",
]

log = logging.getLogger(__name__)

TransportChoice = Literal["event loop", "sdk"]
EVENT_LOOP: TransportChoice = "event loop"
SDK: TransportChoice = "sdk"

_CHUNK = 64 * 1024  # bytes read at a time; stdin is paused while twice this waits unread


async def serve_stdio(server: MCPServer, *, grace: float) -> None:
    """Serve `server` on the process's stdin and stdout until stdin ends, on the transport that fits them."""
    choice = choose_transport()
    if choice == EVENT_LOOP and not _on_asyncio():
        choice = SDK
    log.debug("stdio transport: %s", "event-loop pipes" if choice == EVENT_LOOP else "the MCP SDK's")
    if choice == SDK:
        await _serve_sdk(server, grace)
        return
    with _claimed_stdio() as (read_fd, write_fd):
        async with event_loop_streams(read_fd, write_fd, grace=grace) as (read_stream, write_stream):
            await serve_on_streams(server, read_stream, write_stream)


def choose_transport(stdin: int = 0, stdout: int = 1, stderr: int = 2) -> TransportChoice:
    """The event loop's transport when stdin and stdout are pipes or sockets it can drive, else the SDK's.

    Not for one socket carrying both directions: asyncio's write transport takes anything readable on its
    descriptor for the peer hanging up. Not when stdout is stderr's file either: stderr would turn
    non-blocking with it, and a log line could fail mid-write.
    """
    if sys.platform == "win32":
        return SDK
    try:
        read, write, errors = os.fstat(stdin), os.fstat(stdout), os.fstat(stderr)
    except OSError:
        return SDK
    if not (_is_pipe(read.st_mode) and _is_pipe(write.st_mode)):
        return SDK
    if os.path.samestat(read, write) or os.path.samestat(write, errors):
        return SDK
    return EVENT_LOOP


def _is_pipe(mode: int) -> bool:
    return stat.S_ISFIFO(mode) or stat.S_ISSOCK(mode)


def _on_asyncio() -> bool:
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return False
    return True


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


async def _feed(
    items: AsyncIterator[StdioItem], send: WriteStream[StdioItem], inflight: InFlight, grace: float
) -> None:
    """Pass what stdin carries to the server; at its end, close the stream once the requests are answered."""
    try:
        async with send:
            async for item in items:
                inflight.read(item)
                await send.send(item)
            await inflight.settle(grace)
    except (anyio.BrokenResourceError, anyio.ClosedResourceError):
        log.debug("the server stopped reading before stdin ended")


async def _serve_sdk(server: MCPServer, grace: float) -> None:
    """The SDK's own stdio transport, with the same wait for answers when stdin ends, and the same flush of
    stray output while fd 1 still points at stderr."""
    inflight = InFlight()
    send, receive = stdio_read_channel()
    async with stdio_server() as (sdk_read, sdk_write):
        try:
            async with anyio.create_task_group() as tasks:
                tasks.start_soon(_feed, sdk_read, send, inflight, grace)
                await serve_on_streams(server, receive, _NotingWrites(sdk_write, inflight))
        finally:
            _flush_stray_output()


class _NotingWrites:
    """The SDK's write stream, noting each answer on its way out."""

    def __init__(self, inner: WriteStream[SessionMessage], inflight: InFlight) -> None:
        self._inner = inner
        self._inflight = inflight

    async def send(self, item: SessionMessage, /) -> None:
        await self._inner.send(item)
        self._inflight.written(item)

    async def aclose(self) -> None:
        await self._inner.aclose()

    async def __aenter__(self) -> _NotingWrites:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()


# --- the event loop's transport ---------------------------------------------------------------------------


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


class PipeWriter:
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

    async def __aenter__(self) -> PipeWriter:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()

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


# --- fd 0 and 1 while serving -----------------------------------------------------------------------------


@contextmanager
def _claimed_stdio() -> Iterator[tuple[int, int]]:
    """The wire on private descriptors while serving, as the SDK's stdio transport does: fd 0 reads the null
    device and fd 1 writes to stderr, so a stray print, a flushed `sys.stdout` or a child process never
    reaches the protocol stream. On exit, what `sys.stdout` still holds is flushed (to stderr) before fd 1
    points at the wire again, where the SDK would let it reach the client at exit."""
    with ExitStack() as stack:
        read_fd = stack.enter_context(_claimed(0, lambda: os.open(os.devnull, os.O_RDONLY)))
        write_fd = stack.enter_context(_claimed(1, lambda: os.dup(2), before_restore=_flush_stray_output))
        yield read_fd, write_fd


@contextmanager
def _claimed(fd: int, diversion: Callable[[], int], before_restore: Callable[[], None] | None = None) -> Iterator[int]:
    wire = fcntl.fcntl(fd, fcntl.F_DUPFD_CLOEXEC, 3)
    try:
        replacement = diversion()
        try:
            os.dup2(replacement, fd)
        finally:
            os.close(replacement)
        try:
            yield wire
        finally:
            if before_restore is not None:
                before_restore()
            os.dup2(wire, fd)
    finally:
        os.close(wire)


def _flush_stray_output() -> None:
    if sys.stdout is not None:
        with suppress(OSError, ValueError):
            sys.stdout.flush()
