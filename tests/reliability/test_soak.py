"""Soak: 20,000 calls of every tool over HTTP to a real `ccc-mcp serve --transport http` process; its memory
must stay flat, and nothing it writes (log, audit) may contain a secret.

The mix repeats list, look, unmute, mute, hold and retrieve. Hold and retrieve name their call and channel
(one request each) and alternate on one call, so a retrieve finds the party on hold or, when the calls
interleave otherwise, is refused (InvalidOperation.ChannelState): both paths run for the whole soak. Mute
leaves the call to the server to find (PollUserStatus, then MuteCall).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ccc_mcp.simulator import Simulator
from tests.e2e.conftest import free_port, server_environment
from tests.reliability.conftest import (
    ARGS,
    CANARY_SECRET,
    CANARY_TOKEN,
    INSTANCE,
    WANG,
    assert_no_canary,
    customer_channel,
    start_server,
    suite_setting,
)
from tests.reliability.load import ToolCall, cycle, percentile, run_load

SOAK_CALLS = int(suite_setting("CCC_SOAK_CALLS", "20000"))
WARM_UP_CALLS = 2000
CONCURRENCY = 16
MAX_GROWTH_MIB = 16.0
WANG_CALL = {
    "instance_id": INSTANCE,
    "user_id": WANG,
    "job_id": "job-demo-3",
    "channel_id": customer_channel("job-demo-3"),
}
MIX: list[ToolCall] = [
    ("list_agents", {"instance_id": INSTANCE, "states": ["TALKING"], "page_size": 5}),
    ("get_agent_status", ARGS),
    ("unmute_call", ARGS),
    ("mute_call", ARGS),
    ("hold_call", WANG_CALL),
    ("retrieve_call", WANG_CALL),
]


def rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("no VmRSS")


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
            warm = await run_load(url, WARM_UP_CALLS, CONCURRENCY, cycle(MIX), CANARY_TOKEN, keep_answers=False)
            start = rss_mib(process.pid)
            soak = await run_load(url, SOAK_CALLS, CONCURRENCY, cycle(MIX), CANARY_TOKEN, keep_answers=False)
            end = rss_mib(process.pid)
            assert process.poll() is None, "the server is still up"
        finally:
            process.terminate()
            process.wait(timeout=15)

    assert warm.http_errors == [], warm.http_errors[:3]
    assert soak.http_errors == [], soak.http_errors[:3]
    assert len(soak.latencies) == SOAK_CALLS
    by_tool = soak.by_tool()
    assert set(by_tool) == {tool for tool, _ in MIX}
    for tool, outcomes in by_tool.items():
        allowed = {"OK", "InvalidOperation.ChannelState"} if tool == "retrieve_call" else {"OK"}
        assert set(outcomes) <= allowed, f"{tool}: {outcomes}"
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
        "tools": by_tool,
    }
