"""The attack suite's fixtures are the rest of the suite's: the HTTP app as `ccc-mcp serve` runs it over the
fake CCC (tests/transports), an authorization server with its JWKS (tests/transports/test_oauth.py), and the
real `ccc-mcp serve` process in front of the simulator (tests/e2e). What the attacks share is here."""

from __future__ import annotations

from typing import Any

import httpx

from tests.e2e.conftest import http_process, simulator  # noqa: F401 - fixtures
from tests.transports.conftest import JSON_HEADERS, http_server  # noqa: F401 - a fixture
from tests.transports.test_oauth import authorization_server  # noqa: F401 - a fixture

ARGS = {"instance_id": "ccc-test", "user_id": "agent@ccc-test"}
HANDSHAKE_ERA = "2025-11-25"  # answered in the request's own exchange (adapter.answer_requests_in_their_exchange)
STATELESS_ERA = "2026-07-28"  # answered by the SDK's own 2026-era path
ERAS = (HANDSHAKE_ERA, STATELESS_ERA)


def headers(era: str, tool: str | None = "unmute_call", **extra: str) -> dict[str, str]:
    """A raw POST's headers in a protocol era, plus `extra`. A 2026-era request repeats its method (and the
    tool it calls) in headers: `tool` None for one that is not a `tools/call`."""
    routing = {"mcp-method": "tools/call", "mcp-name": tool} if era == STATELESS_ERA and tool else {}
    return {**JSON_HEADERS, "mcp-protocol-version": era, **routing, **extra}


def tool_call(
    request_id: Any, era: str = HANDSHAKE_ERA, name: str = "unmute_call", arguments: dict[str, Any] | None = None
) -> dict[str, Any]:
    """A `tools/call` as a raw POST body of the given era (a 2026-era request carries its envelope in _meta)."""
    params: dict[str, Any] = {"name": name, "arguments": ARGS if arguments is None else arguments}
    if era == STATELESS_ERA:
        params["_meta"] = {"io.modelcontextprotocol/protocolVersion": era,
                           "io.modelcontextprotocol/clientCapabilities": {}}  # fmt: skip
    return {"jsonrpc": "2.0", "id": request_id, "method": "tools/call", "params": params}


def structured(response: httpx.Response) -> dict[str, Any]:
    """A tool call's structured result from a raw answer."""
    result: dict[str, Any] = response.json()["result"]["structuredContent"]
    return result


def cancellation(request_id: Any) -> dict[str, Any]:
    return {"jsonrpc": "2.0", "method": "notifications/cancelled", "params": {"requestId": request_id}}
