"""Serving one stdio connection on streams we hold, and the fast path of its protocol era's choice
(architecture.md §4, "stdio on the event loop").

The low-level server under an `MCPServer` is reached through public API: its session manager's `app`
("the MCP server instance"), the manager built on first use (≈ 0.2 ms; the SDK has imported all of it
already). `Server.run(read, write, options)` is the SDK's own way of serving a connection on given streams:
its lifespan around `serve_dual_era_loop`, which reads ahead to the client's first request to choose the
era, then relays every later message through a task and a memory stream of its own.

Fast path: with `EraLoops`, `serve_on_streams` makes the same choice and hands the chosen loop a stream that
replays what was read ahead and then reads ours directly, one task switch fewer a message (≈ 24 µs a call).
It relies on the SDK's private `_serve_legacy_stream`, `_serve_modern_stream`, `_has_modern_envelope` and
`_PRE_REQUEST_REPLAY_LIMIT` (mcp.server.runner), looked up and checked once by `era_loops`; the same era,
frames, order and contexts as the SDK's loop are pinned by tests/mcpserver/test_sdk_pins.py. At run time,
deciding the era or starting the chosen loop failing (a signature that changed under the check) serves the
connection by the SDK's `serve_dual_era_loop` instead, said once: a stdio process has one connection.
"""

from __future__ import annotations

import contextvars
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, TypeAlias

import anyio
from mcp.server.lowlevel import Server
from mcp.server.mcpserver import MCPServer
from mcp.server.models import InitializationOptions
from mcp.server.runner import serve_dual_era_loop
from mcp.shared.message import SessionMessage
from mcp_types import JSONRPCRequest

from ccc_mcp.mcpserver.internals import Unusable, fall_back, module_attribute, require_parameters
from ccc_mcp.mcpserver.stdio_wire import ReadStream, ReadStreamBase, StdioItem, WriteStream

__all__ = ["EraLoops", "era_loops", "lowlevel_server", "serve_on_streams"]

_log = logging.getLogger(__name__)

_RUNNER = "mcp.server.runner"
_FAST_PATH = "choosing the stdio connection's era without the SDK's relay task"
_PUBLIC_WAY = "its serve_dual_era_loop, which relays every message through a task of its own"


@dataclass(frozen=True, slots=True)
class EraLoops:
    """The SDK's serving loop of each era, how it tells a 2026-era request, and how many frames before the
    first request it keeps: looked up and checked by `era_loops`."""

    legacy: Callable[..., Awaitable[None]]
    modern: Callable[..., Awaitable[None]]
    is_modern: Callable[[Any], bool]
    replay_limit: int


def era_loops() -> EraLoops | None:
    """The SDK internals the era choice relies on; None, having said why once, when one is missing or changed."""
    try:
        legacy = _runner_function(
            "_serve_legacy_stream",
            "server", "read_stream", "write_stream", "lifespan_state", "session_id", "init_options", "raise_exceptions",
        )  # fmt: skip
        modern = _runner_function(
            "_serve_modern_stream", "server", "read_stream", "write_stream", "lifespan_state", "raise_exceptions"
        )
        is_modern = _runner_function("_has_modern_envelope", "params")
        limit = module_attribute(_RUNNER, "_PRE_REQUEST_REPLAY_LIMIT")
        if type(limit) is not int or limit < 0:
            raise Unusable(f"{_RUNNER}._PRE_REQUEST_REPLAY_LIMIT is no longer a count")
    except Unusable as exc:
        fall_back(_FAST_PATH, str(exc), _PUBLIC_WAY)
        return None
    return EraLoops(legacy, modern, is_modern, limit)


def _runner_function(name: str, *parameters: str) -> Any:
    function = module_attribute(_RUNNER, name)
    require_parameters(function, f"{_RUNNER}.{name}", parameters)
    return function


def lowlevel_server(server: MCPServer[Any]) -> Server[Any]:
    """The low-level `Server` under `server`, through its session manager (public), built if need be."""
    try:
        manager = server.session_manager
    except RuntimeError:  # not built yet: it is made lazily, as here
        server.streamable_http_app()
        manager = server.session_manager
    return manager.app


async def serve_on_streams(
    server: MCPServer[Any],
    read_stream: ReadStream[StdioItem],
    write_stream: WriteStream[SessionMessage],
    loops: EraLoops | None,
) -> None:
    """Serve one connection on the given streams until the read stream ends, as `MCPServer.run_stdio_async`
    does on the SDK's own: the server's lifespan around its loop, in the era the client's first request opens;
    the era chosen by `loops` (the fast path), or by the SDK's `Server.run` without them."""
    lowlevel = lowlevel_server(server)
    options = lowlevel.create_initialization_options()
    if loops is None:
        await lowlevel.run(read_stream, write_stream, options)
        return
    async with lowlevel.lifespan(lowlevel) as state:
        await _serve_either_era(lowlevel, loops, read_stream, write_stream, state, options)


async def _serve_either_era(
    lowlevel: Server[Any],
    loops: EraLoops,
    read_stream: ReadStream[StdioItem],
    write_stream: WriteStream[SessionMessage],
    state: Any,
    options: InitializationOptions,
) -> None:
    """The SDK's `serve_dual_era_loop` without its relay task: the chosen loop reads a stream that replays
    what was read to choose and then reads `read_stream` itself."""
    try:
        lead, opening = await _read_to_first_request(read_stream, loops.replay_limit)
        replayed = _Replaying(lead, read_stream)
        try:
            serving = _chosen_loop(lowlevel, loops, opening, replayed, write_stream, state, options)
        except Exception as exc:  # nothing is read or written yet: the SDK's own loop takes the connection
            problem = f"starting the SDK's loop raised {type(exc).__name__}: {exc}"
            fall_back(_FAST_PATH, problem, _PUBLIC_WAY + ", for this connection")
            serving = serve_dual_era_loop(lowlevel, replayed, write_stream, lifespan_state=state, init_options=options)
        await serving
    finally:
        try:
            await read_stream.aclose()
        finally:
            await write_stream.aclose()


def _chosen_loop(
    lowlevel: Server[Any],
    loops: EraLoops,
    opening: JSONRPCRequest | None,
    replayed: ReadStream[StdioItem],
    write_stream: WriteStream[SessionMessage],
    state: Any,
    options: InitializationOptions,
) -> Awaitable[None]:
    """The loop of the era `opening` opens, called but not started (a call that no longer fits raises here)."""
    if opening is not None and opening.method != "initialize" and loops.is_modern(opening.params):
        return loops.modern(lowlevel, replayed, write_stream, lifespan_state=state, raise_exceptions=False)
    return loops.legacy(
        lowlevel, replayed, write_stream,
        lifespan_state=state, session_id=None, init_options=options, raise_exceptions=False,
    )  # fmt: skip


_Framed: TypeAlias = tuple["contextvars.Context | None", StdioItem]


async def _read_to_first_request(
    read_stream: ReadStream[StdioItem], limit: int
) -> tuple[list[_Framed], JSONRPCRequest | None]:
    """What the client sent up to and including its first request (None if the stream ends first), each
    frame with its sender's context; frames past the SDK's limit before a request are dropped, as it does."""
    lead: list[_Framed] = []
    opening: JSONRPCRequest | None = None
    try:
        async for item in read_stream:
            if isinstance(item, SessionMessage) and isinstance(item.message, JSONRPCRequest):
                opening = item.message
            elif len(lead) >= limit:
                _log.debug("dropped a frame received before the first request: %r", item)
                continue
            lead.append((getattr(read_stream, "last_context", None), item))
            if opening is not None:
                break
    except anyio.ClosedResourceError:
        _log.debug("read stream closed by transport; treating as EOF")
    return lead, opening


class _Replaying(ReadStreamBase):
    """A read stream: the frames already read, then `inner`'s own, each with its sender's context as
    `last_context` (what the SDK's loop runs a request's handler in)."""

    def __init__(self, lead: list[_Framed], inner: ReadStream[StdioItem]) -> None:
        self._lead = lead
        self._inner = inner
        self.last_context: contextvars.Context | None = None

    async def receive(self) -> StdioItem:
        if self._lead:
            self.last_context, item = self._lead.pop(0)
            return item
        item = await self._inner.receive()
        self.last_context = getattr(self._inner, "last_context", None)
        return item

    async def aclose(self) -> None:
        await self._inner.aclose()
