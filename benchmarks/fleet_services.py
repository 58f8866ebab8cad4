"""What the fleet section's variants need besides the servers: a private `redis-server` and an OTLP sink,
each started on a free loopback port (and always stopped), with the probes that prove a variant used them.
"""

from __future__ import annotations

import asyncio
import importlib.util
import json
import shutil
import urllib.request
from pathlib import Path
from typing import Any

from benchmarks.common import BENCH_DIR, LOOPBACK, PYTHON, ServerProcess, child_env, free_port

OTLP_SINK = BENCH_DIR / "otlp_sink.py"


def redis_binary() -> str | None:
    return shutil.which("redis-server")


def redis_process(log_dir: Path) -> ServerProcess:
    """A private redis-server: loopback only, nothing saved to disk (no RDB, no AOF)."""
    binary = redis_binary()
    assert binary is not None
    port = free_port()
    argv = [binary, "--port", str(port), "--bind", LOOPBACK, "--save", "", "--appendonly", "no", "--dir", str(log_dir)]
    return ServerProcess("redis-server", argv, child_env(), log_dir / "redis.log", port)


def redis_url(redis: ServerProcess) -> str:
    return f"redis://{LOOPBACK}:{redis.port}/0"


async def redis_commands(redis: ServerProcess) -> int:
    """`total_commands_processed` of `INFO stats` (this INFO itself included), over raw RESP."""
    assert redis.port is not None
    reader, writer = await asyncio.open_connection(LOOPBACK, redis.port)
    try:
        writer.write(b"*2\r\n$4\r\nINFO\r\n$5\r\nstats\r\n")
        async with asyncio.timeout(10):
            size = int((await reader.readuntil(b"\r\n"))[1:-2])
            info = (await reader.readexactly(size + 2)).decode()
    finally:
        writer.close()
    for line in info.splitlines():
        if line.startswith("total_commands_processed:"):
            return int(line.split(":", 1)[1])
    raise RuntimeError(f"redis-server answered INFO without total_commands_processed: {info[:200]!r}")


def otel_installed() -> bool:
    """Whether the `[otel]` extra is importable by the servers (they run on this interpreter)."""
    try:
        return importlib.util.find_spec("opentelemetry.sdk") is not None
    except ModuleNotFoundError:
        return False


def sink_process(log_dir: Path) -> ServerProcess:
    port = free_port()
    return ServerProcess("otlp-sink", [PYTHON, str(OTLP_SINK), str(port)], child_env(), log_dir / "otlp-sink.log", port)


def sink_endpoint(sink: ServerProcess) -> str:
    return f"http://{LOOPBACK}:{sink.port}"


async def sink_stats(sink: ServerProcess) -> dict[str, Any]:
    """What the sink received so far: {path: {"requests": n, "bytes": n}}."""

    def fetch() -> dict[str, Any]:
        opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))  # loopback, never a proxy
        with opener.open(f"{sink_endpoint(sink)}/stats", timeout=10) as response:
            stats: dict[str, Any] = json.loads(response.read())
        return stats

    return await asyncio.to_thread(fetch)
