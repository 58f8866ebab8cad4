"""stdio on the event loop (ccc_mcp.transports.stdio): which transport serves which stdin/stdout, and the
SDK's guarantees kept on ours — back-pressure, stdin's end, lines that are not messages, UTF-8, stdout
carrying only protocol, and the blocking mode of the descriptors given back."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import pty
import socket
import subprocess
import sys
import threading
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from pathlib import Path
from typing import Any

import anyio
import anyio.lowlevel
import pytest
from mcp.server.mcpserver import MCPServer
from mcp.shared.message import SessionMessage
from mcp_types import JSONRPCNotification

from ccc_mcp.api.credentials import StaticCredentials
from ccc_mcp.config.settings import load_settings
from ccc_mcp.mcpserver.assembly import build_server
from ccc_mcp.mcpserver.eras import era_loops, serve_on_streams
from ccc_mcp.mcpserver.stdio_wire import decode_stdio_line, encode_stdio_message
from ccc_mcp.transports.stdio import EVENT_LOOP, SDK, choose_transport
from ccc_mcp.transports.stdio_inflight import InFlight
from ccc_mcp.transports.stdio_pipes import PipeLines, event_loop_streams
from tests.fakes import FAKE_ENDPOINT, TEST_KEY, FakeCcc
from tests.transports.stdio_child import STRAY_FLUSHED, STRAY_UNFLUSHED
from tests.transports.stdio_child import build as build_child_server

ROOT = Path(__file__).resolve().parents[2]
INITIALIZE = {
    "jsonrpc": "2.0",
    "id": 1,
    "method": "initialize",
    "params": {"protocolVersion": "2025-11-25", "capabilities": {}, "clientInfo": {"name": "test", "version": "1"}},
}
INITIALIZED = {"jsonrpc": "2.0", "method": "notifications/initialized"}


def line(message: dict[str, Any]) -> bytes:
    return json.dumps(message, ensure_ascii=False).encode() + b"\n"


def call(request_id: int, tool: str, arguments: dict[str, Any]) -> dict[str, Any]:
    return {"jsonrpc": "2.0", "id": request_id, "method": "tools/call", "params": {"name": tool, "arguments": arguments}}


# --- which transport ------------------------------------------------------------------------------------


@contextmanager
def pipe() -> Iterator[tuple[int, int]]:
    read, write = os.pipe()
    try:
        yield read, write
    finally:
        os.close(read)
        os.close(write)


def test_pipes_and_separate_sockets_are_served_on_the_event_loop(tmp_path: Path) -> None:
    """What the SDK's client (pipes) and Node-based clients (a socket pair per stream) hand a server."""
    with pipe() as (stdin, _), pipe() as (_, stdout), pipe() as (_, stderr):
        assert choose_transport(stdin, stdout, stderr) == EVENT_LOOP
    a, b = socket.socketpair()
    c, d = socket.socketpair()
    with a, b, c, d, pipe() as (_, stderr):
        assert choose_transport(a.fileno(), c.fileno(), stderr) == EVENT_LOOP


def test_anything_else_is_served_by_the_sdk(tmp_path: Path) -> None:
    """A regular file, a terminal, one socket both ways, stdout that is stderr: the SDK's transport."""
    requests = tmp_path / "requests.jsonl"
    requests.write_bytes(line(INITIALIZE))
    with requests.open("rb") as file, pipe() as (_, stdout), pipe() as (_, stderr):
        assert choose_transport(file.fileno(), stdout, stderr) == SDK, "stdin a regular file"
        assert choose_transport(stdout, file.fileno(), stderr) == SDK, "stdout a regular file"
    controller, terminal = pty.openpty()
    try:
        with pipe() as (_, stderr):
            assert choose_transport(terminal, terminal, stderr) == SDK, "a terminal"
    finally:
        os.close(controller)
        os.close(terminal)
    a, b = socket.socketpair()
    with a, b, pipe() as (_, stderr):
        assert choose_transport(a.fileno(), a.fileno(), stderr) == SDK, "one socket both ways"
    with pipe() as (stdin, _), pipe() as (_, stdout):
        assert choose_transport(stdin, stdout, stdout) == SDK, "stdout and stderr one pipe"


# --- the transport in process, on pipes -----------------------------------------------------------------


class Pipes:
    """Pipes a test makes; whatever it has not closed itself is closed after it."""

    def __init__(self) -> None:
        self.open: set[int] = set()

    def new(self) -> tuple[int, int]:
        read, write = os.pipe()
        self.open |= {read, write}
        return read, write

    def close(self, fd: int) -> None:
        self.open.remove(fd)
        os.close(fd)


@pytest.fixture
def pipes() -> Iterator[Pipes]:
    made = Pipes()
    yield made
    for fd in made.open:
        os.close(fd)


class Peer:
    """The client's ends of two pipes: it writes requests, reads answers (blocking, in a worker thread)."""

    def __init__(self, to_server: int, from_server: int) -> None:
        self.to_server = to_server
        self.answers = os.fdopen(from_server, "rb")

    def send(self, data: bytes) -> None:
        os.write(self.to_server, data)

    def hang_up(self) -> None:
        os.close(self.to_server)

    async def read_line(self) -> bytes:
        return await anyio.to_thread.run_sync(self.answers.readline)

    async def answer(self) -> dict[str, Any]:
        return dict(json.loads(await self.read_line()))

    async def read_all(self) -> bytes:
        return await anyio.to_thread.run_sync(self.answers.read)


@asynccontextmanager
async def serving(server: MCPServer, grace: float = 5.0) -> AsyncIterator[Peer]:
    """`server` on our transport over two fresh pipes; on exit, waits for it to finish after stdin's end."""
    server_in, client_out = os.pipe()
    client_in, server_out = os.pipe()
    peer = Peer(client_out, client_in)
    try:
        async with anyio.create_task_group() as tasks:

            async def run() -> None:
                try:
                    async with event_loop_streams(server_in, server_out, grace=grace) as (read_stream, write_stream):
                        await serve_on_streams(server, read_stream, write_stream, era_loops())
                finally:
                    os.close(server_out)  # the server is done: the client reads the end of the answers

            tasks.start_soon(run)
            yield peer
    finally:
        peer.answers.close()
        os.close(server_in)


def ccc_server() -> MCPServer:
    settings = load_settings(endpoint=FAKE_ENDPOINT, audit_log="off")
    return build_server(settings, credentials=StaticCredentials(TEST_KEY), transport=FakeCcc().transport())


async def test_a_conversation_over_pipes() -> None:
    async with serving(ccc_server()) as peer:
        peer.send(line(INITIALIZE) + line(INITIALIZED))
        assert (await peer.answer())["result"]["serverInfo"]["name"] == "ccc-mcp-server"
        peer.send(line({"jsonrpc": "2.0", "id": 2, "method": "tools/list"}))
        tools = (await peer.answer())["result"]["tools"]
        assert "unmute_call" in [tool["name"] for tool in tools]
        peer.hang_up()
        assert await peer.read_all() == b"", "nothing after the answers"


async def test_a_request_far_longer_than_a_pipe_buffer_is_read_and_answered() -> None:
    """A valid 100 KB request (a model pasting a long note into an argument): one line, however long, is one
    message; a reader with a line limit (asyncio's 64 KiB default) would drop the connection instead."""
    async with serving(ccc_server()) as peer:
        peer.send(line(INITIALIZE) + line(INITIALIZED))
        await peer.answer()
        note = "\u5de5" * 50_000  # 150,000 bytes of UTF-8
        request = line(call(2, "unmute_call", {"instance_id": "ccc-test", "user_id": "agent@ccc-test", "note": note}))
        assert len(request) > 100_000
        # From a thread: the pipe holds 64 KiB, and the server that empties it runs on this loop.
        await anyio.to_thread.run_sync(peer.send, request + line({"jsonrpc": "2.0", "id": 3, "method": "ping"}))
        answer = await peer.answer()
        assert answer["id"] == 2
        assert "note" in json.dumps(answer), "the call was read whole and answered (an unknown argument named)"
        assert await peer.answer() == {"jsonrpc": "2.0", "id": 3, "result": {}}, "and the connection lives on"
        peer.hang_up()


async def test_lines_that_are_not_messages_are_skipped_and_utf8_goes_both_ways() -> None:
    """Bad JSON, a line cut short, invalid UTF-8, an empty line: each becomes the SDK's exception item (the
    server logs and skips it); the conversation goes on, and non-ASCII comes back as UTF-8, unescaped."""
    async with serving(ccc_server()) as peer:
        peer.send(line(INITIALIZE) + line(INITIALIZED))
        await peer.answer()
        peer.send(b"{not json\n" + b'{"jsonrpc": "2.0", "id": 9\n' + b"\xff\xfe\n" + b"\n" + b"\r\n")
        peer.send(line(call(2, "\u5de5\u5177-\xe9", {})) + b'{"jsonrpc":"2.0","id":3,"method":"ping"}\r\n')
        answer = await peer.read_line()
        assert json.loads(answer)["id"] == 2, "no answer to the lines that were not messages"
        assert "Unknown tool: \u5de5\u5177-\xe9".encode() in answer, "UTF-8 in, UTF-8 out"
        assert (await peer.answer()) == {"jsonrpc": "2.0", "id": 3, "result": {}}, "CR LF ends a line"
        peer.hang_up()


async def test_each_line_becomes_the_read_item_the_sdk_would_make(pipes: Pipes) -> None:
    """Whatever the chunking: a line split over writes, several lines in one write, CR and CR LF endings
    (the SDK's universal newlines), invalid bytes, a last line without its newline."""
    lines = [
        line(INITIALIZE),
        b"{not json\n",
        b'{"jsonrpc":"2.0","method":"x","params":{"s":"caf\xc3\xa9 \xff"}}\n',
        b'{"jsonrpc":"2.0","id":5,"method":"ping"}\r',
        b'{"jsonrpc":"2.0","id":6,"method":"ping"}\n',
        b"\n",
        b'{"jsonrpc":"2.0","id":7,"method":"ping"}',
    ]
    data = b"".join(lines)
    expected = [decode_stdio_line(text) for text in [*lines[:3], lines[3][:-1] + b"\n", *lines[4:]]]
    server_in, client_out = pipes.new()
    _, server_out = pipes.new()
    received: list[Any] = []
    async with event_loop_streams(server_in, server_out, grace=0) as (read_stream, _writer):
        for start in range(0, len(data), 37):
            os.write(client_out, data[start : start + 37])
        pipes.close(client_out)
        async for item in read_stream:
            received.append(item)
    assert [describe(item) for item in received] == [describe(item) for item in expected]


def describe(item: SessionMessage | Exception) -> Any:
    if isinstance(item, SessionMessage):
        return item.message.model_dump(by_alias=True, exclude_unset=True)
    return (type(item).__name__, str(item))


async def test_stdin_is_read_only_as_fast_as_the_server_takes_its_lines(pipes: Pipes) -> None:
    """A client that writes far more than the server has asked for fills the pipe and waits: the server holds
    at most a few chunks unread, not whatever the client sends. Once the server takes its lines, the rest
    flows."""
    server_in, client_out = pipes.new()
    _, server_out = pipes.new()
    request = line({"jsonrpc": "2.0", "id": 1, "method": "ping"})
    os.set_blocking(client_out, False)
    async with event_loop_streams(server_in, server_out, grace=0) as (read_stream, _writer):
        written = 0
        for _ in range(2):  # once more after the event loop has done all it would
            with contextlib.suppress(BlockingIOError):
                while written < 4_000_000:
                    written += os.write(client_out, request)
                    await anyio.lowlevel.checkpoint()  # the server's loop may read what it wants
            await anyio.wait_all_tasks_blocked()
        assert written < 1_000_000, "the server stopped reading what it had not been asked for"
        taken = 0
        async for _item in read_stream:
            taken += 1
            if taken * len(request) >= written:
                break
        assert os.write(client_out, request) == len(request), "taking the lines made room again"


async def test_the_end_of_stdin_waits_for_the_requests_in_flight_once() -> None:
    """After stdin's end the stream ends once the requests read are settled; asked again, it says so at
    once instead of waiting another grace period."""

    class CountedInFlight(InFlight):
        settled = 0

        async def settle(self, grace: float) -> None:
            type(self).settled += 1
            await super().settle(grace)

    reader = asyncio.StreamReader()
    reader.feed_data(line({"jsonrpc": "2.0", "id": 1, "method": "ping"}))
    reader.feed_eof()
    lines = PipeLines(reader, CountedInFlight(), grace=0)
    assert [item.message.id async for item in lines] == [1]  # type: ignore[union-attr]
    with pytest.raises(anyio.EndOfStream):
        await lines.receive()
    assert CountedInFlight.settled == 1


async def test_a_large_message_waits_for_a_slow_reader(pipes: Pipes) -> None:
    """send() returns only once the pipe has taken the message: until the client reads, the sender waits
    (the message is not dropped, and the server's memory, not the pipe, holds the rest)."""
    server_in, _ = pipes.new()
    client_in, server_out = pipes.new()
    message = SessionMessage(JSONRPCNotification(jsonrpc="2.0", method="big", params={"text": "\xe9" * 2_000_000}))
    async with event_loop_streams(server_in, server_out, grace=5) as (_, writer):
        sent = threading.Event()

        async def send() -> None:
            await writer.send(message)
            sent.set()

        async with anyio.create_task_group() as tasks:
            tasks.start_soon(send)
            await anyio.wait_all_tasks_blocked()
            assert not sent.is_set(), "the pipe (64 KiB) cannot hold 4 MB: the sender waits for the reader"
            with os.fdopen(client_in, "rb", closefd=False) as reader:
                received = await anyio.to_thread.run_sync(reader.readline)
        assert sent.is_set()
    assert received == encode_stdio_message(message)


async def test_requests_read_before_stdin_ends_are_answered() -> None:
    """A client that writes its requests and closes stdin gets every answer: the end of stdin waits for
    the requests in flight (the SDK's loop alone would cancel them: "Connection closed")."""
    async with serving(build_child_server(), grace=30) as peer:
        peer.send(line(INITIALIZE) + line(INITIALIZED) + line(call(2, "slow", {"seconds": 0.2})))
        peer.hang_up()
        answers = [json.loads(text) for text in (await peer.read_all()).splitlines()]
    assert [answer["id"] for answer in answers] == [1, 2]
    assert answers[1]["result"]["content"][0]["text"] == "done"


async def test_the_wait_at_stdin_end_is_bounded_by_grace() -> None:
    async with serving(build_child_server(), grace=0) as peer:
        peer.send(line(INITIALIZE) + line(INITIALIZED) + line(call(2, "slow", {"seconds": 30})))
        assert (await peer.answer())["id"] == 1
        peer.hang_up()
        answers = [json.loads(text) for text in (await peer.read_all()).splitlines()]
    assert answers == [{"jsonrpc": "2.0", "id": 2, "error": {"code": -32000, "message": "Connection closed"}}]


async def test_blocking_mode_is_given_back(pipes: Pipes) -> None:
    """asyncio makes the pipes non-blocking, a flag the client's end of a socket or a shell shares."""
    server_in, _ = pipes.new()
    _, server_out = pipes.new()
    assert os.get_blocking(server_in)
    assert os.get_blocking(server_out)
    async with event_loop_streams(server_in, server_out, grace=0):
        assert not os.get_blocking(server_in), "the observable is real"
        assert not os.get_blocking(server_out)
    assert os.get_blocking(server_in)
    assert os.get_blocking(server_out)


# --- the process's own stdin and stdout -----------------------------------------------------------------


CHILD = [sys.executable, "-m", "tests.transports.stdio_child"]
# Without PYTHONUNBUFFERED, as clients launch servers: an unflushed print then stays in sys.stdout's buffer.
CHILD_ENV = {
    **{name: value for name, value in os.environ.items() if name != "PYTHONUNBUFFERED"},
    "PYTHONPATH": os.pathsep.join([str(ROOT / "server"), str(ROOT)]),
}


def run_child(**stdin: Any) -> subprocess.CompletedProcess[bytes]:
    """The child server to completion: `input=` bytes through a pipe, or `stdin=` an open file."""
    return subprocess.run(CHILD, capture_output=True, env=CHILD_ENV, cwd=ROOT, timeout=60, check=False, **stdin)


NOISY_SESSION = line(INITIALIZE) + line(INITIALIZED) + line(call(2, "noisy", {}))


@pytest.mark.parametrize("stdin_kind", ["pipe", "regular file"])
def test_stdout_carries_only_protocol(stdin_kind: str, tmp_path: Path) -> None:
    """A tool that prints, flushed or not: the prints reach stderr, stdout parses line by line, on either
    transport (the SDK alone would let the unflushed print reach the client at exit)."""
    if stdin_kind == "pipe":
        done = run_child(input=NOISY_SESSION)
    else:
        requests = tmp_path / "requests.jsonl"
        requests.write_bytes(NOISY_SESSION)
        with requests.open("rb") as file:
            done = run_child(stdin=file)
    assert done.returncode == 0, done.stderr.decode()
    messages = [json.loads(text) for text in done.stdout.splitlines()]
    assert [message["id"] for message in messages] == [1, 2]
    stderr = done.stderr.decode()
    assert STRAY_FLUSHED in stderr
    assert STRAY_UNFLUSHED in stderr
    chosen = "event-loop pipes" if stdin_kind == "pipe" else "the MCP SDK's"
    assert f"stdio transport: {chosen}" in stderr


def test_the_process_descriptors_are_given_back_blocking_and_in_place() -> None:
    """The child's fd 0 and 1 share their open files with this process's ends: mid-serve they are
    non-blocking (so the check is real), after the child exits blocking again."""
    child_in, to_child = os.pipe()
    from_child, child_out = os.pipe()
    process = subprocess.Popen(
        CHILD, stdin=child_in, stdout=child_out, stderr=subprocess.DEVNULL, env=CHILD_ENV, cwd=ROOT
    )
    try:
        with os.fdopen(from_child, "rb") as answers:
            os.write(to_child, line(INITIALIZE))
            assert json.loads(answers.readline())["id"] == 1
            assert not os.get_blocking(child_in)
            assert not os.get_blocking(child_out)
            os.close(to_child)
            assert process.wait(timeout=60) == 0
            assert os.get_blocking(child_in)
            assert os.get_blocking(child_out)
    finally:
        if process.poll() is None:
            process.kill()
        os.close(child_in)
        os.close(child_out)
