"""The reference server: a bare MCPServer with one no-op tool, nothing else.

    python benchmarks/bare_server.py               # stdio
    python benchmarks/bare_server.py --http PORT   # Streamable HTTP at /mcp, served as ccc-mcp serves it:
                                                   # stateless, JSON responses, same uvicorn settings

Its log level is WARNING because ccc-mcp holds the SDK's own loggers at WARNING too: the reference must not
pay for log lines the measured server does not write. Deliberately no argparse and no other import.
"""

from __future__ import annotations

import sys

from mcp.server.mcpserver import MCPServer

server = MCPServer("bare", log_level="WARNING")


@server.tool()
async def noop() -> str:
    """Do nothing."""
    return "ok"


def serve_http(port: int, mcp: MCPServer = server) -> None:
    """`mcp` (this bare server, or another reference built like it) as ccc-mcp serves HTTP."""
    import uvicorn

    app = mcp.streamable_http_app(streamable_http_path="/mcp", json_response=True, stateless_http=True)
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_config=None, access_log=False, server_header=False)
    uvicorn.Server(config).run()


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "--http":
        serve_http(int(sys.argv[2]))
    else:
        server.run()
