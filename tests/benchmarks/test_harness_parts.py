"""The parts of the harness that a quick run cannot show on a tree without the fleet features: the OTLP sink
counts what it receives, the Redis probe sees commands, a server's worker processes are in its CPU sum,
the [otel] extra can be hidden from a child, and no child inherits OTEL_* settings. Nothing here is timed."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from benchmarks.common import PYTHON, ServerProcess, child_env, process_tree, tree_cpu, tree_cpu_delta
from benchmarks.fleet_services import (
    redis_binary,
    redis_commands,
    redis_process,
    sink_endpoint,
    sink_process,
    sink_stats,
)
from benchmarks.floor_calls import ON_A_CALL, page_requests
from benchmarks.loadgen import closed_loop
from benchmarks.simulator_floor import PAGE, PAGE_TALKING, POLL, floor_agents, presigned, requests

from ccc_mcp.simulator import FLOOR_INSTANCE_ID, default_scenario, running_simulator, with_floor

HIDE_OTEL = Path(__file__).resolve().parents[2] / "benchmarks" / "hide_otel"


@pytest.fixture
def sink(tmp_path: Path) -> Iterator[ServerProcess]:
    process = sink_process(tmp_path).start()
    try:
        process.wait_listening()
        yield process
    finally:
        process.stop()


def _post(url: str, body: bytes) -> tuple[int, bytes]:
    response = httpx.post(url, content=body, headers={"content-type": "application/x-protobuf"}, trust_env=False)
    return response.status_code, response.content


def test_the_otlp_sink_answers_empty_and_counts_bytes_per_signal(sink: ServerProcess) -> None:
    endpoint = sink_endpoint(sink)

    assert _post(f"{endpoint}/v1/traces", b"x" * 100) == (200, b"")
    assert _post(f"{endpoint}/v1/traces", b"y" * 20) == (200, b"")
    assert _post(f"{endpoint}/v1/metrics", b"z" * 7) == (200, b"")
    assert _post(f"{endpoint}/elsewhere", b"ignored")[0] == 404

    stats = asyncio.run(sink_stats(sink))
    assert stats == {"/v1/traces": {"requests": 2, "bytes": 120}, "/v1/metrics": {"requests": 1, "bytes": 7}}


@pytest.mark.skipif(redis_binary() is None, reason="redis-server is not installed")
def test_the_redis_probe_counts_commands_of_other_clients(tmp_path: Path) -> None:
    redis = redis_process(tmp_path).start()
    try:
        redis.wait_listening()

        async def probe() -> tuple[int, int]:
            before = await redis_commands(redis)
            assert redis.port is not None
            reader, writer = await asyncio.open_connection("127.0.0.1", redis.port)
            for _ in range(3):
                writer.write(b"*1\r\n$4\r\nPING\r\n")
                assert await reader.readuntil(b"\r\n") == b"+PONG\r\n"
            writer.close()
            return before, await redis_commands(redis)

        before, after = asyncio.run(probe())
    finally:
        redis.stop()
    assert after - before - 1 == 3  # the three PINGs; the INFO that read `before` is the 1


def test_a_servers_cpu_is_summed_over_its_worker_processes() -> None:
    spin = (
        "import time\nend = time.process_time() + 0.3\nwhile time.process_time() < end: pass\n"
        "print('spun', flush=True)\ntime.sleep(60)"
    )
    parent = (
        "import subprocess, sys, time\n"
        f"child = subprocess.Popen([sys.executable, '-c', {spin!r}])\n"
        "print(child.pid, flush=True)\n"
        "time.sleep(60)"
    )
    process = subprocess.Popen([PYTHON, "-c", parent], stdout=subprocess.PIPE, text=True)
    try:
        assert process.stdout is not None
        child = int(process.stdout.readline())
        tree = process_tree(process.pid)
        assert process.stdout.readline() == "spun\n"  # the child burnt 0.3 s of CPU and is still alive
        used = tree_cpu(process.pid)
    finally:
        os.kill(child, signal.SIGTERM)
        process.kill()
        process.wait()

    assert tree == [process.pid, child]
    # The child's CPU counts, though only the parent's pid was named. /proc counts in clock ticks sampled by
    # the kernel, which can fall a few ticks short of the process clock the child spun on: 0.25, not 0.3.
    assert tree_cpu_delta({}, used) >= 0.25
    assert tree_cpu_delta(used, used) == 0


def test_hide_otel_hides_the_otel_extra_but_not_the_api_the_mcp_sdk_needs(tmp_path: Path) -> None:
    fake = tmp_path / "opentelemetry" / "sdk"  # a portion of the `opentelemetry` namespace, as the SDK is
    fake.mkdir(parents=True)
    (fake / "__init__.py").write_text("")
    probe = (
        "import importlib.util as u\n"
        "import opentelemetry.trace, mcp.server.mcpserver\n"  # the API, and the MCP SDK that imports it
        "try:\n    print(u.find_spec('opentelemetry.sdk') is not None)\n"
        "except ModuleNotFoundError:\n    print(False)"
    )

    def visible(path: str) -> str:
        env = child_env(PYTHONPATH=path)
        return subprocess.run([sys.executable, "-c", probe], env=env, capture_output=True, text=True, check=True).stdout

    assert visible(str(tmp_path)).strip() == "True"
    assert visible(f"{HIDE_OTEL}:{tmp_path}").strip() == "False"


def test_no_child_inherits_opentelemetry_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_ENDPOINT", "http://127.0.0.1:4318")
    monkeypatch.setenv("OTEL_SERVICE_NAME", "someone-elses")

    env = child_env()
    assert not [name for name in env if name.startswith("OTEL_")]
    assert child_env(OTEL_EXPORTER_OTLP_ENDPOINT="http://127.0.0.1:1")["OTEL_EXPORTER_OTLP_ENDPOINT"].endswith(":1")


def test_the_sink_stats_are_json_over_plain_http(sink: ServerProcess) -> None:
    response = httpx.get(f"{sink_endpoint(sink)}/stats", trust_env=False)
    assert response.status_code == 200
    assert response.json() == {}


def test_the_floor_section_sends_what_it_says_to_a_floor_it_has_built() -> None:
    """Every pre-signed request of the simulator-at-floor-size section is answered OK by a simulator with the
    same floor; the polls go round the agents on a call, the pages round the floor's full pages."""
    async def replay() -> None:
        async with running_simulator(scenario=with_floor(default_scenario(), 200)) as sim:
            instance = sim.state.instances[FLOOR_INSTANCE_ID]
            on_calls = sum(agent.job_id is not None for agent in instance.agents.values())
            counts = {POLL: on_calls + 1, PAGE: 3, PAGE_TALKING: 2}
            for variant, count in counts.items():
                pool = presigned(sim.port, requests(variant, 200), count)
                result = await closed_loop(sim.port, pool, concurrency=2, max_calls=count, expect=b'"Code":"OK"')
                assert (result.calls, result.errors) == (count, 0), result.first_error
            assert sim.stats.polls_by_user.most_common(1)[0][1] == 2, "round the agents on a call, then again"
            assert len(sim.stats.polls_by_user) == on_calls
            assert sim.stats.actions["ListRealtimeAgentStates"] == 5

    asyncio.run(replay())


async def _exchange(port: int, request: bytes) -> dict[str, Any]:
    """One pre-signed request on a connection of its own: the JSON answer."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        writer.write(request)
        head = (await reader.readuntil(b"\r\n\r\n")).decode("latin-1").lower()
        length = int(head.split("content-length:", 1)[1].split("\r\n", 1)[0])
        answer: dict[str, Any] = json.loads(await reader.readexactly(length))
        return answer
    finally:
        writer.close()


def test_the_list_calls_ideal_is_built_from_the_pages_list_calls_reads() -> None:
    """The list_calls section's page time is measured on the pages list_calls itself asks for: every agent on
    a call (TALKING, RINGING, DIALING: the StateList in the signed form body), 100 a page, then round again."""

    async def replay() -> list[dict[str, Any]]:
        async with running_simulator(scenario=with_floor(default_scenario(), 200)) as sim:
            pool = presigned(sim.port, page_requests(130), 3)
            return [await _exchange(sim.port, pool()) for _ in range(3)]

    on_calls = sum(on_call for _, _, on_call in floor_agents(200))
    assert on_calls == 130
    answers = asyncio.run(replay())
    assert [answer["Code"] for answer in answers] == ["OK"] * 3
    pages = [answer["Data"] for answer in answers]
    assert [page["PageNumber"] for page in pages] == [1, 2, 1], "two pages of 130 agents, then round again"
    assert [len(page["List"]) for page in pages] == [100, 30, 100]
    assert {page["TotalCount"] for page in pages} == {on_calls}
    assert {row["State"] for page in pages for row in page["List"]} <= set(ON_A_CALL)
