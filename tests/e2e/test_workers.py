"""`ccc-mcp serve --transport http --workers 2` as a real process: calls are answered by both worker processes
(each log line names its process), the embedded simulator started by the parent serves them all, and SIGTERM
drains every worker, ends the parent with exit 0 and leaves no process behind."""

from __future__ import annotations

import asyncio
import json
import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from mcp import Client

from ccc_mcp.simulator import Simulator
from tests.e2e.conftest import free_port, server_environment, wait_until_healthy

pytestmark = pytest.mark.e2e
ARGS = {"instance_id": "ccc-demo", "user_id": "agent@ccc-demo"}
HEADERS = {"accept": "application/json, text/event-stream", "mcp-protocol-version": "2025-11-25"}
WORKER_LINE = re.compile(r"\[(\d+)\] ccc_mcp\.commands\.serve: Worker process \1 serving")
CALL_LINE = re.compile(r"\[(\d+)\] ccc_mcp\.calls: tool=unmute_call .* outcome=(\S+)")


class Served:
    def __init__(self, process: subprocess.Popen[bytes], base: str, log: Path) -> None:
        self.process, self.base, self.log = process, base, log

    def lines(self) -> str:
        return self.log.read_text()

    def calls(self) -> list[tuple[int, str]]:
        return [(int(pid), outcome) for pid, outcome in CALL_LINE.findall(self.lines())]


@pytest.fixture
def workers(tmp_path: Path) -> Iterator[list[Served]]:
    started: list[Served] = []
    yield started
    for served in started:
        if served.process.poll() is None:
            served.process.kill()
            served.process.wait(timeout=10)


def start(started: list[Served], log: Path, env: dict[str, str], *flags: str) -> Served:
    port = free_port()
    command = [sys.executable, "-m", "ccc_mcp", "serve", "--transport", "http", "--port", str(port), "--workers", "2"]
    process = subprocess.Popen([*command, *flags], env=env, stdout=subprocess.DEVNULL, stderr=log.open("wb"))
    served = Served(process, f"http://127.0.0.1:{port}", log)
    started.append(served)
    wait_until_healthy(served.base, process)
    return served


def descendants(pid: int) -> set[int]:
    """Every process whose parent chain leads to `pid` (workers, multiprocessing's resource tracker)."""
    parents: dict[int, int] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        parents[int(stat.parent.name)] = int(fields[1])
    found, frontier = set(), {pid}
    while frontier:
        frontier = {child for child, parent in parents.items() if parent in frontier} - found
        found |= frontier
    return found


def outliving(family: set[int], polls: int = 100) -> list[int]:
    """The processes of `family` still alive once they have had their chance to go: multiprocessing's resource
    tracker ends when it reads its pipe's end, a moment after the parent. An orphan would outlive every poll;
    the bound is on a hang (counted polls), not a timing claim."""
    for _ in range(polls):
        left = [pid for pid in family if alive(pid)]
        if not left:
            return []
        time.sleep(0.1)
    return left


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


async def test_two_workers_answer_calls_against_the_parents_simulator_and_stop_cleanly(
    workers: list[Served], tmp_path: Path
) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ALIBABA_CLOUD_", "CCC_"))}
    env |= {"ALIBABA_CLOUD_ECS_METADATA_DISABLED": "true", "CCC_MCP_RATE_LIMIT": "1000", "CCC_MCP_RATE_BURST": "1000"}
    env["CCC_MCP_LOG_LEVEL"] = "DEBUG"
    served = start(workers, tmp_path / "server.log", env, "--simulator")
    pids = set()
    for _ in range(60):  # fresh connections, one call each, until both workers have answered one (counted, not timed)
        async with Client(f"{served.base}/mcp") as client:
            result = await client.call_tool("unmute_call", ARGS)
        assert not result.is_error, result.structured_content
        pids = {pid for pid, _ in served.calls()}
        if len(pids) == 2:
            break
    worker_pids = {int(pid) for pid in WORKER_LINE.findall(served.lines())}
    assert len(worker_pids) == 2
    assert pids == worker_pids, "calls reached both worker processes, each answering from the parent's simulator"
    assert all(outcome == "OK" for _, outcome in served.calls())
    assert worker_pids <= descendants(served.process.pid)
    assert "each of the 2 workers limits alone (memory://)" in served.lines()
    settled = f"[{served.process.pid}] ccc_mcp.config.collector: Garbage collector: "
    assert settled in served.lines(), "the supervisor settled the collector cli.main held (config/collector.py)"

    family = descendants(served.process.pid)
    served.process.send_signal(signal.SIGTERM)
    assert served.process.wait(timeout=30) == 0
    assert not outliving(family), "no worker (nor helper process) outlives the parent"


async def test_sigterm_drains_the_in_flight_call_of_a_worker(
    simulator: Simulator, workers: list[Served], tmp_path: Path
) -> None:
    env = server_environment(simulator, CCC_MCP_SHUTDOWN_GRACE="10", CCC_MCP_RATE_LIMIT="0")
    served = start(workers, tmp_path / "server.log", env)
    simulator.faults.add({"kind": "latency", "ms": 1500, "times": 1})
    call = {"jsonrpc": "2.0", "id": 2, "method": "tools/call", "params": {"name": "unmute_call", "arguments": ARGS}}
    async with httpx.AsyncClient(timeout=20) as http:
        request = asyncio.create_task(http.post(f"{served.base}/mcp", json=call, headers=HEADERS))
        await asyncio.sleep(0.5)  # the call is now waiting on the slow upstream
        served.process.send_signal(signal.SIGTERM)
        response = await request
    assert response.status_code == 200
    assert response.json()["result"]["structuredContent"]["ok"] is True
    assert served.process.wait(timeout=30) == 0
    assert "Rate limits" not in served.lines(), "no limiter, no warning about it"


async def test_workers_believe_x_forwarded_for_only_from_the_named_proxy(
    simulator: Simulator, workers: list[Served], tmp_path: Path
) -> None:
    """Each worker gets the parent's uvicorn options: a client claiming another address is believed only when
    it connects from the proxy named in CCC_MCP_FORWARDED_ALLOW_IPS (uvicorn alone believes any loopback peer)."""
    audit = tmp_path / "audit.jsonl"
    env = server_environment(simulator, CCC_MCP_FORWARDED_ALLOW_IPS="127.0.0.2", CCC_MCP_AUDIT_LOG=str(audit),
                             CCC_MCP_RATE_LIMIT="0")  # fmt: skip
    served = start(workers, tmp_path / "server.log", env)
    call = {"jsonrpc": "2.0", "id": 2, "method": "tools/call", "params": {"name": "unmute_call", "arguments": ARGS}}
    for peer, claimed in (("127.0.0.1", "203.0.113.1"), ("127.0.0.2", "203.0.113.2")) * 3:
        transport = httpx.AsyncHTTPTransport(local_address=peer)  # a fresh connection: either worker may take it
        async with httpx.AsyncClient(transport=transport, timeout=20) as http:
            response = await http.post(f"{served.base}/mcp", json=call, headers={**HEADERS, "x-forwarded-for": claimed})
        assert response.json()["result"]["structuredContent"]["ok"] is True
    callers: list[str] = []
    for _ in range(500):  # until all six lines are written (just after each answer): counted, not timed
        callers = [json.loads(line)["caller"] for line in _lines(audit)]
        if len(callers) == 6:
            break
        await asyncio.sleep(0.01)
    assert sorted(callers) == ["anonymous@127.0.0.1"] * 3 + ["anonymous@203.0.113.2"] * 3


def _lines(path: Path) -> list[str]:
    return path.read_text().splitlines() if path.exists() else []
