"""Fixtures that run the real `ccc-mcp` process: on stdio through the SDK, on HTTP as a server process."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from ccc_mcp.simulator import Simulator, running_simulator
from tests.environment import environment_without


@pytest.fixture
async def simulator() -> AsyncIterator[Simulator]:
    async with running_simulator(host="127.0.0.1", port=0) as sim:
        yield sim


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def server_environment(sim: Simulator, **extra: str) -> dict[str, str]:
    """The simulator's demo key and endpoint; nothing of the developer's own Alibaba configuration."""
    env = environment_without("ALIBABA_CLOUD_", "CCC_")
    env.update({
        "ALIBABA_CLOUD_ECS_METADATA_DISABLED": "true",
        "ALIBABA_CLOUD_ACCESS_KEY_ID": sim.access_key_id,
        "ALIBABA_CLOUD_ACCESS_KEY_SECRET": sim.access_key_secret,
        "CCC_ENDPOINT": sim.endpoint,
        **extra,
    })
    return env


def imported(importtime_log: str) -> set[str]:
    """Module names from `-X importtime` lines: `import time: self | cumulative | <indent>name`."""
    return {line.rsplit("|", 1)[1].strip() for line in importtime_log.splitlines() if line.startswith("import time:")}


def server_log(directory: Path) -> str:
    """The log of the one `http_process` a test started in `directory` (its tmp_path)."""
    [log] = directory.glob("server-*.log")
    return log.read_text()


def wait_until_healthy(base: str, process: subprocess.Popen[bytes], timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the server exited with {process.returncode}")
        try:
            if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.05)
    raise TimeoutError(f"{base} did not become healthy in {timeout} s")


@pytest.fixture
def http_process(tmp_path: Path) -> Iterator[Callable[..., Any]]:
    """`http_process(sim, **env) -> (base_url, process)`: `ccc-mcp serve --transport http` on a free port."""
    started: list[subprocess.Popen[bytes]] = []

    def start(sim: Simulator, **env: str) -> tuple[str, subprocess.Popen[bytes]]:
        port = free_port()
        log = (tmp_path / f"server-{port}.log").open("wb")
        process = subprocess.Popen(
            [sys.executable, "-m", "ccc_mcp", "serve", "--transport", "http", "--port", str(port)],
            env=server_environment(sim, **env), stdout=subprocess.DEVNULL, stderr=log,
        )
        started.append(process)
        base = f"http://127.0.0.1:{port}"
        wait_until_healthy(base, process)
        return base, process

    yield start
    for process in started:
        if process.poll() is None:
            process.kill()
            process.wait(timeout=10)
