"""A closed-loop HTTP/1.1 load generator that costs the machine little.

Each of `concurrency` callers holds one keep-alive connection and sends pre-built request bytes (a recorded
MCP `tools/call`, or pre-signed CCC requests) back to back, timing each from the first byte written to the
last byte read. No HTTP library and no JSON on the hot path: the harness reports its own CPU per call, so
it is visible that the generator is not what limits the server.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from benchmarks.common import LOOPBACK, percentile
from benchmarks.stdio_client import PROTOCOL_VERSION


def mcp_tools_call(port: int, name: str, arguments: dict[str, Any]) -> bytes:
    """A legacy-era (2025-11-25) tools/call POST, as any MCP client sends it to a stateless server."""
    body = json.dumps(
        {"jsonrpc": "2.0", "id": 1, "method": "tools/call", "params": {"name": name, "arguments": arguments}},
        separators=(",", ":"),
    ).encode()
    head = (
        f"POST /mcp HTTP/1.1\r\n"
        f"host: {LOOPBACK}:{port}\r\n"
        f"accept: application/json, text/event-stream\r\n"
        f"content-type: application/json\r\n"
        f"mcp-protocol-version: {PROTOCOL_VERSION}\r\n"
        f"content-length: {len(body)}\r\n"
        f"\r\n"
    )
    return head.encode() + body


def mcp_tools_list(port: int) -> bytes:
    body = b'{"jsonrpc":"2.0","id":1,"method":"tools/list"}'
    head = (
        f"POST /mcp HTTP/1.1\r\nhost: {LOOPBACK}:{port}\r\naccept: application/json, text/event-stream\r\n"
        f"content-type: application/json\r\nmcp-protocol-version: {PROTOCOL_VERSION}\r\n"
        f"content-length: {len(body)}\r\n\r\n"
    )
    return head.encode() + body


@dataclass
class LoadResult:
    concurrency: int
    calls: int = 0
    errors: int = 0
    elapsed: float = 0.0
    latencies: list[float] = field(default_factory=list)
    first_error: str | None = None
    client_cpu: float = 0.0

    def figures(self) -> dict[str, Any]:
        """calls/s and latency percentiles in ms (successful and failed calls alike)."""
        ordered = sorted(self.latencies)
        return {
            "calls": self.calls,
            "errors": self.errors,
            "seconds": round(self.elapsed, 3),
            "calls_per_s": self.calls / self.elapsed if self.elapsed > 0 else 0.0,
            "p50_ms": percentile(ordered, 50) * 1000,
            "p99_ms": percentile(ordered, 99) * 1000,
            "max_ms": (ordered[-1] * 1000) if ordered else float("nan"),
            "loadgen_cpu_ms_per_call": self.client_cpu / self.calls * 1000 if self.calls else float("nan"),
            "first_error": self.first_error,
        }


class _Exhausted(Exception):
    pass


_CALL_FAILURES = (OSError, asyncio.IncompleteReadError, asyncio.LimitOverrunError, ValueError, TimeoutError)


async def _read_response(reader: asyncio.StreamReader) -> tuple[int, bytes, bool]:
    """Status, body, and whether the server keeps the connection open. Content-Length or chunked."""
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split(" ", 2)[1])
    length: int | None = None
    chunked = False
    keep_alive = True
    for line in lines[1:]:
        name, _, value = line.partition(":")
        name = name.strip().lower()
        if name == "content-length":
            length = int(value.strip())
        elif name == "transfer-encoding" and "chunked" in value.lower():
            chunked = True
        elif name == "connection" and value.strip().lower() == "close":
            keep_alive = False
    if chunked:
        parts: list[bytes] = []
        for _ in range(1 << 16):  # bounded: no real response has that many chunks
            size = int((await reader.readuntil(b"\r\n")).split(b";", 1)[0], 16)
            if size == 0:
                await reader.readuntil(b"\r\n")
                break
            parts.append(await reader.readexactly(size))
            await reader.readexactly(2)
        return status, b"".join(parts), keep_alive
    body = await reader.readexactly(length) if length else b""
    return status, body, keep_alive


async def closed_loop(
    port: int,
    next_request: Callable[[], bytes],
    *,
    concurrency: int,
    duration: float | None = None,
    max_calls: int | None = None,
    expect: bytes | None = None,
    call_timeout: float = 30.0,
) -> LoadResult:
    """`concurrency` callers until `duration` seconds have passed or `max_calls` calls were made (at least
    one bound is required). A call counts as an error unless it answers 200 and its body contains `expect`.
    `next_request` may raise `IndexError`/`StopIteration` when it has no more requests (pre-signed pools)."""
    if duration is None and max_calls is None:
        raise ValueError("closed_loop needs a duration or a number of calls")
    result = LoadResult(concurrency=concurrency)
    started = time.perf_counter()
    deadline = started + duration if duration is not None else float("inf")
    budget = [max_calls if max_calls is not None else 1 << 62]

    def take() -> bytes:
        if budget[0] <= 0 or time.perf_counter() >= deadline:
            raise _Exhausted
        budget[0] -= 1
        try:
            return next_request()
        except (IndexError, StopIteration) as exc:
            raise _Exhausted from exc

    async def caller() -> None:
        reader: asyncio.StreamReader | None = None
        writer: asyncio.StreamWriter | None = None
        try:
            while True:
                try:
                    request = take()
                except _Exhausted:
                    return
                sent = time.perf_counter()
                try:
                    async with asyncio.timeout(call_timeout):
                        if writer is None or reader is None:
                            reader, writer = await asyncio.open_connection(LOOPBACK, port, limit=1 << 22)
                        writer.write(request)
                        status, body, keep_alive = await _read_response(reader)
                except _CALL_FAILURES as exc:
                    result.latencies.append(time.perf_counter() - sent)
                    result.calls += 1
                    result.errors += 1
                    result.first_error = result.first_error or f"{type(exc).__name__}: {exc}"
                    if writer is not None:
                        writer.close()
                    reader = writer = None
                    await asyncio.sleep(0.01)
                    continue
                result.latencies.append(time.perf_counter() - sent)
                result.calls += 1
                if status != 200 or (expect is not None and expect not in body):
                    result.errors += 1
                    result.first_error = result.first_error or f"HTTP {status}: {body[:300]!r}"
                if not keep_alive:
                    writer.close()
                    reader = writer = None
        finally:
            if writer is not None:
                writer.close()

    cpu_before = time.process_time()
    await asyncio.gather(*(caller() for _ in range(concurrency)))
    result.elapsed = time.perf_counter() - started
    result.client_cpu = time.process_time() - cpu_before
    return result


async def wait_ready(port: int, request: bytes, within: float = 60.0) -> None:
    """Until one request is answered 200 (the server is listening and serving MCP)."""
    deadline = time.monotonic() + within
    last = "no attempt"
    while time.monotonic() < deadline:
        try:
            reader, writer = await asyncio.open_connection(LOOPBACK, port)
        except OSError as exc:
            last = str(exc)
            await asyncio.sleep(0.05)
            continue
        try:
            async with asyncio.timeout(10):
                writer.write(request)
                status, body, _ = await _read_response(reader)
            if status == 200:
                return
            last = f"HTTP {status}: {body[:200]!r}"
        except (OSError, asyncio.IncompleteReadError, TimeoutError) as exc:
            last = str(exc)
        finally:
            writer.close()
        await asyncio.sleep(0.05)
    raise TimeoutError(f"port {port} did not answer 200 within {within} s (last: {last})")
