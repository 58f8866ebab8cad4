"""stdio (architecture.md §1 and §4, "stdio on the event loop"): which transport serves the process's stdin
and stdout, and the guarantees kept on either.

The SDK's stdio transport reads stdin and writes stdout through worker-thread file wrappers, so every
message costs two thread hand-offs. When stdin and stdout are pipes or sockets, the event loop's transport
(`stdio_pipes`) reads and writes them on the event loop instead. Anything else — a regular file, a terminal,
one socket for both directions, an event loop that is not asyncio's, Windows — is served by the SDK's own
transport, and so is everything with `CCC_MCP_SDK_FAST_PATHS=off`. The connection's protocol era is chosen
by the fast path of `mcpserver.eras` when its SDK internals are there, else by the SDK's own loop.

Both transports keep the SDK's guarantees (fd 0 and 1 diverted while serving, so stray output misses the
protocol stream; back-pressure; UTF-8 both ways) and add one: when stdin ends, the requests already read are
answered before the server exits (within `grace` seconds), where the SDK's loop would cancel them.
"""

from __future__ import annotations

import asyncio
import logging
import os
import stat
import sys
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager, suppress
from typing import Literal

from mcp.server.mcpserver import MCPServer
from mcp.server.stdio import stdio_server

from ccc_mcp.mcpserver.eras import EraLoops, era_loops, serve_on_streams
from ccc_mcp.transports.stdio_inflight import InFlight, NotingReads, NotingWrites
from ccc_mcp.transports.stdio_pipes import event_loop_streams

if sys.platform != "win32":
    import fcntl

__all__ = ["EVENT_LOOP", "SDK", "TransportChoice", "choose_transport", "serve_stdio"]

log = logging.getLogger(__name__)

TransportChoice = Literal["event loop", "sdk"]
EVENT_LOOP: TransportChoice = "event loop"
SDK: TransportChoice = "sdk"


async def serve_stdio(server: MCPServer, *, grace: float, fast_paths: bool = True) -> None:
    """Serve `server` on the process's stdin and stdout until stdin ends, on the transport that fits them;
    without `fast_paths` (CCC_MCP_SDK_FAST_PATHS=off), on the SDK's transport with the SDK's era choice."""
    loops = era_loops() if fast_paths else None
    choice = choose_transport() if fast_paths else SDK
    if choice == EVENT_LOOP and not _on_asyncio():
        choice = SDK
    shown = "event-loop pipes" if choice == EVENT_LOOP else "the MCP SDK's"
    log.debug("stdio transport: %s%s", shown, "" if fast_paths else " (SDK fast paths off)")
    if choice == SDK:
        await _serve_sdk(server, grace, loops)
        return
    with _claimed_stdio() as (read_fd, write_fd):
        async with event_loop_streams(read_fd, write_fd, grace=grace) as (read_stream, write_stream):
            await serve_on_streams(server, read_stream, write_stream, loops)


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


async def _serve_sdk(server: MCPServer, grace: float, loops: EraLoops | None) -> None:
    """The SDK's own stdio transport, with the same wait for answers when stdin ends, and the same flush of
    stray output while fd 1 still points at stderr."""
    inflight = InFlight()
    async with stdio_server() as (sdk_read, sdk_write):
        try:
            reads, writes = NotingReads(sdk_read, inflight, grace), NotingWrites(sdk_write, inflight)
            await serve_on_streams(server, reads, writes, loops)
        finally:
            _flush_stray_output()


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
