"""A minimal MCP client over stdio: newline-delimited JSON-RPC on a child's pipes, nothing else.

The harness times servers, not clients, so it uses the cheapest client that speaks the protocol correctly:
the 2025-11-25 handshake (what desktop clients send today), then requests one at a time. Both the measured
server and the reference are driven by this same client.
"""

from __future__ import annotations

import asyncio
import json
import time
from pathlib import Path
from typing import Any

PROTOCOL_VERSION = "2025-11-25"
TOOLS_LIST = b'{"jsonrpc":"2.0","id":1,"method":"tools/list"}\n'  # id 1, to write right after `handshake(0)`
_LINE_LIMIT = 1 << 22


def _line(message: dict[str, Any]) -> bytes:
    return json.dumps(message, separators=(",", ":")).encode() + b"\n"


def handshake(first_id: int = 0) -> bytes:
    """initialize + notifications/initialized, ready to be written before the server has even started."""
    initialize = {
        "jsonrpc": "2.0",
        "id": first_id,
        "method": "initialize",
        "params": {
            "protocolVersion": PROTOCOL_VERSION,
            "capabilities": {},
            "clientInfo": {"name": "ccc-mcp-benchmarks", "version": "1"},
        },
    }
    return _line(initialize) + _line({"jsonrpc": "2.0", "method": "notifications/initialized"})


class StdioServer:
    """One server process on stdio. `spawned_at` is the perf_counter reading just before the spawn."""

    def __init__(self, argv: list[str], env: dict[str, str], stderr_path: Path, timeout: float = 60) -> None:
        self.argv = argv
        self.env = env
        self.stderr_path = stderr_path
        self.timeout = timeout
        self.spawned_at = 0.0
        self._process: asyncio.subprocess.Process | None = None
        self._next_id = 1

    @property
    def pid(self) -> int:
        assert self._process is not None
        return self._process.pid

    async def spawn(self, preamble: bytes = b"") -> None:
        """Start the process and write `preamble` (e.g. the handshake) at once."""
        with self.stderr_path.open("ab") as stderr:
            self.spawned_at = time.perf_counter()
            self._process = await asyncio.create_subprocess_exec(
                *self.argv,
                stdin=asyncio.subprocess.PIPE,
                stdout=asyncio.subprocess.PIPE,
                stderr=stderr,
                env=self.env,
                limit=_LINE_LIMIT,
            )
        if preamble:
            await self._write(preamble)

    async def _write(self, data: bytes) -> None:
        assert self._process is not None
        assert self._process.stdin is not None
        self._process.stdin.write(data)
        await self._process.stdin.drain()

    async def read_response(self, request_id: int) -> dict[str, Any]:
        """The response to `request_id`; notifications and other ids are skipped (bounded by the timeout)."""
        assert self._process is not None
        assert self._process.stdout is not None
        async with asyncio.timeout(self.timeout):
            while True:
                line = await self._process.stdout.readline()
                if not line:
                    raise RuntimeError(f"{self.argv} closed stdout; see {self.stderr_path}")
                message: dict[str, Any] = json.loads(line)
                if message.get("id") == request_id:
                    if "error" in message:
                        raise RuntimeError(f"JSON-RPC error from {self.argv}: {message['error']}")
                    return message

    def new_id(self) -> int:
        self._next_id += 1
        return self._next_id

    def encode(self, method: str, params: dict[str, Any] | None = None) -> tuple[int, bytes]:
        request_id = self.new_id()
        message: dict[str, Any] = {"jsonrpc": "2.0", "id": request_id, "method": method}
        if params is not None:
            message["params"] = params
        return request_id, _line(message)

    async def request(self, method: str, params: dict[str, Any] | None = None) -> dict[str, Any]:
        request_id, data = self.encode(method, params)
        await self._write(data)
        return await self.read_response(request_id)

    async def start(self) -> None:
        """Spawn, handshake, and wait until initialized."""
        await self.spawn(handshake(0))
        await self.read_response(0)

    async def call_tool(self, name: str, arguments: dict[str, Any]) -> dict[str, Any]:
        """One tools/call; the `result` object (a tool error is a result, not an exception)."""
        response = await self.request("tools/call", {"name": name, "arguments": arguments})
        result: dict[str, Any] = response["result"]
        return result

    async def close(self) -> None:
        """Close stdin (the server exits by itself), kill it if it does not within 10 s."""
        process, self._process = self._process, None
        if process is None:
            return
        if process.stdin is not None and not process.stdin.is_closing():
            process.stdin.close()
        try:
            await asyncio.wait_for(process.wait(), timeout=10)
        except TimeoutError:
            process.kill()
            await process.wait()
