"""Soak: 20,000 calls over HTTP to a real `ccc-mcp serve --transport http` process; its memory must stay
flat, and nothing it writes (log, audit) may contain a secret."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import IO, Any

from ccc_mcp.simulator import Simulator
from tests.e2e.conftest import free_port, server_environment, wait_until_healthy
from tests.reliability.conftest import ARGS, CANARY_SECRET, CANARY_TOKEN, assert_no_canary
from tests.reliability.load import percentile, run_load

SOAK_CALLS = int(os.environ.get("CCC_SOAK_CALLS", "20000"))
WARM_UP_CALLS = 2000
CONCURRENCY = 16
MAX_GROWTH_MIB = 16.0


def rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("no VmRSS")


def start_server(port: int, env: dict[str, str], log: IO[bytes]) -> subprocess.Popen[bytes]:
    """`ccc-mcp serve --transport http` as its own process, stderr (its log) to `log`, healthy when returned."""
    process = subprocess.Popen(
        [sys.executable, "-m", "ccc_mcp", "serve", "--transport", "http", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=log,
    )
    wait_until_healthy(f"http://127.0.0.1:{port}", process)
    return process


async def test_soak_memory_stays_flat(simulator: Simulator, tmp_path: Path, figures: dict[str, Any]) -> None:
    port = free_port()
    log_path, audit_path = tmp_path / "server.log", tmp_path / "audit.jsonl"
    env = server_environment(
        simulator,
        ALIBABA_CLOUD_ACCESS_KEY_SECRET=CANARY_SECRET,
        CCC_MCP_AUTH_TOKEN=CANARY_TOKEN,
        CCC_MCP_RATE_LIMIT="0",
        CCC_MCP_AUDIT_LOG=str(audit_path),
        CCC_MCP_LOG_LEVEL="WARNING",
    )
    url = f"http://127.0.0.1:{port}/mcp"
    with log_path.open("wb") as log:
        process = start_server(port, env, log)
        try:
            idle = rss_mib(process.pid)
            warm = await run_load(url, WARM_UP_CALLS, CONCURRENCY, ARGS, token=CANARY_TOKEN, keep_answers=False)
            start = rss_mib(process.pid)
            soak = await run_load(url, SOAK_CALLS, CONCURRENCY, ARGS, token=CANARY_TOKEN, keep_answers=False)
            end = rss_mib(process.pid)
            assert process.poll() is None, "the server is still up"
        finally:
            process.terminate()
            process.wait(timeout=15)

    assert warm.http_errors == [], warm.http_errors[:3]
    assert soak.http_errors == [], soak.http_errors[:3]
    assert len(soak.latencies) == SOAK_CALLS
    growth = end - start
    assert growth <= MAX_GROWTH_MIB, f"RSS grew {growth:.1f} MiB over {SOAK_CALLS} calls (a leak)"
    audit_lines = audit_path.read_text().splitlines()
    assert len(audit_lines) == WARM_UP_CALLS + SOAK_CALLS
    assert_no_canary(log_path.read_text(errors="replace"), audit_path.read_text())
    figures["soak"] = {
        "calls": SOAK_CALLS,
        "warm_up_calls": WARM_UP_CALLS,
        "concurrency": CONCURRENCY,
        "seconds": round(soak.seconds, 1),
        "calls_per_second": round(SOAK_CALLS / soak.seconds, 1),
        "p50_ms": round(percentile(soak.latencies, 0.5) * 1000, 1),
        "p99_ms": round(percentile(soak.latencies, 0.99) * 1000, 1),
        "max_ms": round(max(soak.latencies) * 1000, 1),
        "rss_idle_mib": round(idle, 1),
        "rss_after_warm_up_mib": round(start, 1),
        "rss_end_mib": round(end, 1),
        "rss_growth_mib": round(growth, 2),
        "audit_lines": len(audit_lines),
    }
