"""A real `ccc-mcp serve --transport http` limiting through a password-protected Redis: calls are answered while
Redis answers and after it dies (each process then limits alone), with one warning that never shows the
password — nor does anything else the process writes or answers."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from mcp import Client

from ccc_mcp.simulator import Simulator
from tests.e2e.conftest import server_log
from tests.redis_server import REDIS_PASSWORD, RedisServer

pytestmark = pytest.mark.e2e
ARGS = {"instance_id": "ccc-demo", "user_id": "agent@ccc-demo"}


async def outcomes(base: str, count: int) -> list[str]:
    answers = []
    async with Client(f"{base}/mcp") as client:
        for _ in range(count):
            result = await client.call_tool("unmute_call", ARGS)
            answers.append(json.dumps(result.structured_content))
    return answers


async def test_redis_dying_under_a_server_degrades_it_and_never_leaks_the_password(
    simulator: Simulator, http_process: Callable[..., Any], redis_with_password: RedisServer, tmp_path: Path
) -> None:
    env = {"CCC_MCP_RATE_LIMIT": "3", "CCC_MCP_RATE_BURST": "3", "CCC_MCP_LOG_LEVEL": "DEBUG",
           "CCC_MCP_RATE_LIMIT_STORAGE": redis_with_password.url}
    base, _ = http_process(simulator, **env)
    shared = await outcomes(base, 4)
    redis_with_password.stop()
    degraded = await outcomes(base, 4)

    codes = [json.loads(answer)["error"]["code"] if '"error": {' in answer else "OK" for answer in shared + degraded]
    assert codes == ["OK", "OK", "OK", "Throttling"] * 2, "the limit on Redis, then the same limit in memory"
    text = server_log(tmp_path)
    assert text.count("Rate limits: Redis at redis://:***@127.0.0.1") == 1, "one warning when it degrades"
    assert REDIS_PASSWORD not in text
    assert not any(REDIS_PASSWORD in answer for answer in shared + degraded)
