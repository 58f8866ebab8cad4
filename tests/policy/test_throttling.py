"""A throttled tool call, through a real in-memory MCP client: the structured Throttling error, with the wait
the limiter's window really has left, and nothing sent to CCC."""

from __future__ import annotations

import asyncio
import re
import time

from mcp import Client

from ccc_mcp.api.credentials import StaticCredentials
from ccc_mcp.config.settings import load_settings
from ccc_mcp.mcpserver.assembly import build_server
from tests.fakes import FAKE_ENDPOINT, TEST_KEY, FakeCcc

ARGS = {"instance_id": "ccc-test", "user_id": "agent@ccc-test"}


async def test_a_throttled_call_answers_throttling_with_the_windows_wait(fake_ccc: FakeCcc) -> None:
    settings = load_settings(endpoint=FAKE_ENDPOINT, audit_log="off", rate_limit=2, rate_burst=2)
    server = build_server(settings, credentials=StaticCredentials(TEST_KEY), transport=fake_ccc.transport(),
                          rate_limited=True)
    async with Client(server) as client:
        a = time.time()
        results = [await client.call_tool("unmute_call", ARGS)]
        b = time.time()
        await asyncio.sleep(0.3)  # set-up, not a measure: the first call's entry ages, so its wait is < 60 s
        results.append(await client.call_tool("unmute_call", ARGS))
        c = time.time()
        results.append(await client.call_tool("unmute_call", ARGS))
        d = time.time()
    assert [r.is_error for r in results] == [False, False, True]
    error = (results[2].structured_content or {})["error"]
    assert (error["code"], error["http_status"], error["retryable"]) == ("Throttling", 429, True)
    assert "2 per minute with bursts of 2" in error["message"]
    match = re.search(r"Wait (\d+\.\d) s", error["hint"])
    assert match, error["hint"]
    # The first call's entry, dated within [a, b], leaves the 60 s window then; the refusal was reckoned within
    # [c, d]; the hint rounds to 0.1 s. A made-up figure (the window's 60 s) falls outside.
    assert a + 60 - d - 0.05 <= float(match.group(1)) <= b + 60 - c + 0.05
    assert len(fake_ccc.seen) == 2, "the throttled call never reached CCC"
