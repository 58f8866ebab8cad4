"""X-Forwarded-For is a claim any client can make. `ccc-mcp serve --transport http` believes it only from the
proxies the operator names (`CCC_MCP_FORWARDED_ALLOW_IPS`, none by default), so a client cannot choose the
address the audit names it by, nor escape its rate limit (keyed by address without authentication) by making
up a new one per call. The real process in front of the simulator, as the attack was made."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx

from ccc_mcp.simulator import Simulator
from tests.transports.conftest import HANDSHAKE_ERA, headers, tool_call

ARGS = {"instance_id": "ccc-demo", "user_id": "agent@ccc-demo"}


async def _calls(base: str, count: int) -> list[str]:
    """`count` calls, each claiming another forwarded address; the outcome of each."""
    outcomes = []
    async with httpx.AsyncClient(timeout=30) as http:
        for n in range(count):
            sent = headers(HANDSHAKE_ERA, **{"x-forwarded-for": f"203.0.113.{n + 1}"})
            response = await http.post(f"{base}/mcp", json=tool_call(n, arguments=ARGS), headers=sent)
            content = response.json()["result"]["structuredContent"]
            outcomes.append("OK" if content["ok"] else content["error"]["code"])
    return outcomes


def _lines(audit: Path) -> list[str]:
    return audit.read_text().splitlines() if audit.exists() else []


async def _callers(audit: Path, calls: int, looks: int = 500) -> set[str]:
    """Who the audit names, once all `calls` lines are there: a call's line is written just after its answer."""
    lines: list[str] = []
    for _ in range(looks):
        lines = _lines(audit)
        if len(lines) >= calls:
            break
        await asyncio.sleep(0.01)
    assert len(lines) == calls
    return {json.loads(line)["caller"] for line in lines}


async def test_a_made_up_forwarded_address_is_not_believed(
    simulator: Simulator, http_process: Callable[..., Any], tmp_path: Path
) -> None:
    """The reproduction of issue 23's third hole: 25 calls from one client, each with a made-up
    X-Forwarded-For, against a limit of 20 without authentication. All 25 once passed, each audited under its
    made-up address; the client is one client, limited and named by where it really is."""
    audit = tmp_path / "audit.jsonl"
    base, _ = http_process(simulator, CCC_MCP_RATE_LIMIT="20", CCC_MCP_RATE_BURST="20", CCC_MCP_AUDIT_LOG=str(audit))
    outcomes = await _calls(base, 25)
    assert outcomes == ["OK"] * 20 + ["Throttling"] * 5
    assert await _callers(audit, 25) == {"anonymous@127.0.0.1"}


async def test_a_named_proxy_is_believed(simulator: Simulator, http_process: Callable[..., Any], tmp_path: Path) -> None:
    audit = tmp_path / "audit.jsonl"
    base, _ = http_process(simulator, CCC_MCP_FORWARDED_ALLOW_IPS="127.0.0.1", CCC_MCP_AUDIT_LOG=str(audit))
    assert await _calls(base, 2) == ["OK", "OK"]
    assert await _callers(audit, 2) == {"anonymous@203.0.113.1", "anonymous@203.0.113.2"}
