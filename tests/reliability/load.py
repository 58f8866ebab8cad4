"""A small load generator: raw MCP `tools/call` POSTs (2025-era, stateless JSON) over aiohttp."""

from __future__ import annotations

import asyncio
import json
import time
from dataclasses import dataclass, field
from typing import Any

import aiohttp

HEADERS = {
    "accept": "application/json, text/event-stream",
    "content-type": "application/json",
    "mcp-protocol-version": "2025-11-25",
}


def call_body(request_id: int, arguments: dict[str, Any]) -> bytes:
    return json.dumps(
        {
            "jsonrpc": "2.0",
            "id": request_id,
            "method": "tools/call",
            "params": {"name": "unmute_call", "arguments": arguments},
        }
    ).encode()


@dataclass
class LoadResult:
    answers: list[dict[str, Any]] = field(default_factory=list)
    latencies: list[float] = field(default_factory=list)
    http_errors: list[str] = field(default_factory=list)
    seconds: float = 0.0


async def run_load(
    url: str,
    total: int,
    concurrency: int,
    arguments: dict[str, Any],
    token: str | None = None,
    keep_answers: bool = True,
) -> LoadResult:
    """`total` calls from `concurrency` workers; every answer's tool result (or HTTP failure) recorded."""
    result = LoadResult()
    headers = dict(HEADERS)
    if token:
        headers["authorization"] = f"Bearer {token}"
    counter = iter(range(total))
    started = time.monotonic()
    timeout = aiohttp.ClientTimeout(total=30)
    async with aiohttp.ClientSession(headers=headers, timeout=timeout) as session:

        async def worker() -> None:
            for request_id in counter:
                t0 = time.perf_counter()
                try:
                    async with session.post(url, data=call_body(request_id, arguments)) as response:
                        text = await response.text()
                        if response.status != 200:
                            result.http_errors.append(f"{response.status}: {text[:200]}")
                            continue
                        answer = json.loads(text)["result"]
                except (aiohttp.ClientError, TimeoutError, KeyError, ValueError) as exc:
                    result.http_errors.append(f"{type(exc).__name__}: {exc}")
                    continue
                result.latencies.append(time.perf_counter() - t0)
                if keep_answers:
                    result.answers.append(answer)

        await asyncio.gather(*(worker() for _ in range(concurrency)))
    result.seconds = time.monotonic() - started
    return result


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))] if ordered else 0.0
