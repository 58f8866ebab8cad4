"""A small MCP server on `transports.stdio.serve_stdio`, run as a child process by tests/transports/test_stdio.py:
its tools do what a careless tool might (print to stdout) and what a large answer does (fill the pipe).

`python -m tests.transports.stdio_child [grace]`: logs at DEBUG to stderr, serves until stdin ends.
"""

from __future__ import annotations

import functools
import logging
import sys

import anyio
from mcp.server.mcpserver import MCPServer

from ccc_mcp.transports.stdio import serve_stdio

STRAY_FLUSHED = "stray print, flushed"
STRAY_UNFLUSHED = "stray print, left in the buffer"


def build() -> MCPServer:
    server = MCPServer("stdio-child")

    @server.tool()
    def noisy() -> str:
        """Prints to stdout, as a careless tool or library might."""
        print(STRAY_FLUSHED, flush=True)
        print(STRAY_UNFLUSHED)
        return "ok"

    @server.tool()
    def big(size: int) -> str:
        """A text of `size` characters, non-ASCII included."""
        return ("é" * size)[:size]

    @server.tool()
    async def slow(seconds: float) -> str:
        """Answers after `seconds`."""
        await anyio.sleep(seconds)
        return "done"

    return server


def main() -> None:
    logging.basicConfig(level=logging.DEBUG, stream=sys.stderr)
    grace = float(sys.argv[1]) if len(sys.argv) > 1 else 5.0
    anyio.run(functools.partial(serve_stdio, build(), grace=grace))


if __name__ == "__main__":
    main()
