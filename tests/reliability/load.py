"""A small load generator: raw MCP `tools/call` POSTs (2025-era, stateless JSON) over aiohttp."""

from __future__ import annotations

import asyncio
import json
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import aiohttp

HEADERS = {
    "accept": "application/json, text/event-stream",
    "content-type": "application/json",
    "mcp-protocol-version": "2025-11-25",
}

ToolCall = tuple[str, dict[str, Any]]  # (tool name, arguments)


def rpc_body(request_id: int, method: str, params: dict[str, Any]) -> bytes:
    return json.dumps({"jsonrpc": "2.0", "id": request_id, "method": method, "params": params}).encode()


def call_body(request_id: int, tool: str, arguments: dict[str, Any]) -> bytes:
    return rpc_body(request_id, "tools/call", {"name": tool, "arguments": arguments})


def cycle(calls: Sequence[ToolCall]) -> Callable[[int], ToolCall]:
    """The n-th call of a load that repeats `calls` in order."""
    return lambda n: calls[n % len(calls)]


@dataclass
class LoadResult:
    answers: list[tuple[str, dict[str, Any]]] = field(default_factory=list)  # (tool, the tool result)
    outcomes: Counter[tuple[str, str]] = field(default_factory=Counter)  # (tool, "OK" or the error code)
    latencies: list[float] = field(default_factory=list)
    http_errors: list[str] = field(default_factory=list)
    seconds: float = 0.0

    def by_tool(self) -> dict[str, dict[str, int]]:
        """The outcomes of each tool, e.g. {"hold_call": {"OK": 30, "ServiceUnavailable": 1}}."""
        table: dict[str, dict[str, int]] = {}
        for (tool, code), count in sorted(self.outcomes.items()):
            table.setdefault(tool, {})[code] = count
        return table


def _headers(token: str | None) -> dict[str, str]:
    return {**HEADERS, "authorization": f"Bearer {token}"} if token else dict(HEADERS)


async def run_load(
    url: str,
    total: int,
    concurrency: int,
    calls: Callable[[int], ToolCall],
    token: str | None = None,
    keep_answers: bool = True,
) -> LoadResult:
    """`total` calls (the n-th is `calls(n)`) from `concurrency` workers; every answer's outcome (or HTTP
    failure) recorded, and with `keep_answers` the tool result itself."""
    result = LoadResult()
    counter = iter(range(total))
    started = time.monotonic()
    timeout = aiohttp.ClientTimeout(total=30)
    async with aiohttp.ClientSession(headers=_headers(token), timeout=timeout) as session:

        async def worker() -> None:
            for request_id in counter:
                tool, arguments = calls(request_id)
                t0 = time.perf_counter()
                try:
                    async with session.post(url, data=call_body(request_id, tool, arguments)) as response:
                        text = await response.text()
                        if response.status != 200:
                            result.http_errors.append(f"{response.status}: {text[:200]}")
                            continue
                        answer = json.loads(text)["result"]
                except (aiohttp.ClientError, TimeoutError, KeyError, ValueError) as exc:
                    result.http_errors.append(f"{type(exc).__name__}: {exc}")
                    continue
                result.latencies.append(time.perf_counter() - t0)
                structured = answer.get("structuredContent") or {}
                code = "OK" if structured.get("ok") else str((structured.get("error") or {}).get("code"))
                result.outcomes[tool, code] += 1
                if keep_answers:
                    result.answers.append((tool, answer))

        await asyncio.gather(*(worker() for _ in range(concurrency)))
    result.seconds = time.monotonic() - started
    return result


async def published_tools(url: str, token: str | None = None) -> dict[str, dict[str, Any]]:
    """`tools/list` over HTTP: each published tool's definition, by name."""
    async with (
        aiohttp.ClientSession(headers=_headers(token), timeout=aiohttp.ClientTimeout(total=30)) as session,
        session.post(url, data=rpc_body(0, "tools/list", {})) as response,
    ):
        response.raise_for_status()
        return {tool["name"]: tool for tool in json.loads(await response.text())["result"]["tools"]}


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))] if ordered else 0.0
