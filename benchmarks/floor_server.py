"""The floor: the least any server on this stack can do for an `unmute_call` — the bare server's MCPServer,
plus one signed UnmuteCall request through the same engine ccc-mcp uses (an `httpx.Request` handed to
httpx-aiohttp's `AiohttpTransport`, one pool), plus an answer of the same kind and size (CCC's answer,
as structured content and as text).

    python benchmarks/floor_server.py --http PORT   # Streamable HTTP at /mcp, served as the bare server is

It has none of what ccc-mcp adds on top: no argument checks beyond the SDK's, no policy, no retries or
deadline, no error mapping, no result model, no log or audit line, no Host/Origin checks, no cancellation on
hang-up. It does settle its garbage collector as ccc-mcp does (config/collector.py), since any server can.
So ccc-mcp / floor is what all of that costs, and floor / bare is what the SDK and aiohttp charge
for the job itself, whoever writes the server (docs/performance.md, "Where the rest goes").

Configured like ccc-mcp from the environment: CCC_ENDPOINT and the ALIBABA_CLOUD_ACCESS_KEY_* pair.
"""

from __future__ import annotations

import json
import os
import secrets
import sys
from datetime import UTC, datetime
from urllib.parse import urlsplit

import httpx
from httpx_aiohttp import AiohttpTransport
from mcp.server.mcpserver import MCPServer
from mcp_types import CallToolResult, TextContent

from ccc_mcp.api.signing import SigningKey, canonical_query, format_date, signed_request_headers
from ccc_mcp.config.collector import settle_collector

server = MCPServer("floor", log_level="WARNING")
ENDPOINT = os.environ.get("CCC_ENDPOINT", "").rstrip("/")
KEY = SigningKey(
    os.environ.get("ALIBABA_CLOUD_ACCESS_KEY_ID", ""), os.environ.get("ALIBABA_CLOUD_ACCESS_KEY_SECRET", "")
)
_pool: list[AiohttpTransport] = []


@server.tool()
async def unmute_call(instance_id: str, user_id: str) -> CallToolResult:
    """Unmute the agent's call: one signed UnmuteCall, CCC's answer returned as it came."""
    query = {"InstanceId": instance_id, "UserId": user_id}
    headers = signed_request_headers(
        key=KEY,
        host=urlsplit(ENDPOINT).netloc,
        action="UnmuteCall",
        version="2020-07-01",
        query=query,
        date=format_date(datetime.now(UTC)),
        nonce=secrets.token_hex(16),
    )
    if not _pool:
        _pool.append(AiohttpTransport())
    request = httpx.Request("POST", f"{ENDPOINT}/?{canonical_query(query)}", headers=headers)
    response = await _pool[0].handle_async_request(request)
    try:
        body = await response.aread()
    finally:
        await response.aclose()
    answer = json.loads(body)
    return CallToolResult(
        content=[TextContent(type="text", text=body.decode())],
        structured_content=answer,
        is_error=response.status_code != 200,
    )


if __name__ == "__main__":
    import bare_server  # beside this file: served exactly as the bare server is

    settle_collector()  # what ccc-mcp does to its garbage collector, any server could do
    if len(sys.argv) == 3 and sys.argv[1] == "--http":
        bare_server.serve_http(int(sys.argv[2]), server)
    else:
        server.run()
