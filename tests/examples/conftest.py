"""Helpers for running the examples as their users would: the installed `ccc-mcp`, a clean environment
(no Alibaba or CCC settings of the developer's, no OpenAI key, metadata lookups disabled), loopback only."""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.e2e.conftest import free_port, wait_until_healthy

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples"
DEMO_INSTANCE = "ccc-demo"
TALKING_AGENT = "agent@ccc-demo"
IDLE_AGENT = "idle@ccc-demo"


def ccc_mcp_executable() -> str:
    """The `ccc-mcp` console script of the environment running the tests (what `pip install` made)."""
    name = "ccc-mcp.exe" if os.name == "nt" else "ccc-mcp"
    sibling = Path(sys.executable).parent / name
    if sibling.exists():
        return str(sibling)
    pytest.fail(f"{sibling} does not exist: install the package into this environment (pip install -e .)")


def unavailable(reason: str) -> None:
    """Skip for want of an optional part, with the reason; in CI (CI=true) fail instead: what CI installs
    must run, and a skip would hide a missing install step."""
    if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
        pytest.fail(f"{reason} (CI=true: this example must run in CI)")
    pytest.skip(reason)


def require_module(name: str, install: str) -> None:
    """The example's optional dependency, or `unavailable`."""
    try:
        __import__(name)
    except ImportError:
        unavailable(f"{name} is not installed: {install}")


def resolve_command(command: str) -> str:
    """A bare `ccc-mcp` in an example becomes this environment's script; anything else is kept."""
    return ccc_mcp_executable() if command == "ccc-mcp" else command


def clean_environment(**extra: str) -> dict[str, str]:
    """The caller's environment minus anything that could reach a real account or a model."""
    env = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith(("ALIBABA_CLOUD_", "CCC_", "OPENAI_", "LANGSMITH_", "LANGCHAIN_"))
        and name != "PYTHONPATH"
    }
    env["ALIBABA_CLOUD_ECS_METADATA_DISABLED"] = "true"
    # Model mode is only ever run against tests/examples/fake_openai.py: no tracing uploads either.
    env["OPENAI_AGENTS_DISABLE_TRACING"] = "1"
    env.update(extra)
    return env


def documented_http_command() -> list[str]:
    """The `ccc-mcp serve --transport http ...` line that examples/README.md tells users to run."""
    text = (EXAMPLES / "README.md").read_text()
    match = re.search(r"^(ccc-mcp serve --transport http[^\n#]*)$", text, re.MULTILINE)
    assert match, "examples/README.md shows how to start the HTTP server"
    return shlex.split(match.group(1))


@dataclass(frozen=True)
class HttpServer:
    base_url: str
    port: int
    token: str
    log: Path


@pytest.fixture(scope="module")
def http_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[HttpServer]:
    """The documented HTTP command against the simulator, with a bearer token, on a free loopback port."""
    command = documented_http_command()
    assert "--simulator" in command
    port = free_port()
    token = "example-token-" + os.urandom(8).hex()
    log = tmp_path_factory.mktemp("http-server") / "server.log"
    with log.open("wb") as errors:
        process = subprocess.Popen(
            [resolve_command(command[0]), *command[1:], "--port", str(port)],
            env=clean_environment(CCC_MCP_AUTH_TOKEN=token),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=errors,
        )
    base = f"http://127.0.0.1:{port}"
    try:
        try:
            wait_until_healthy(base, process)
        except (RuntimeError, TimeoutError) as exc:
            pytest.fail(f"{exc}:\n{log.read_text()}")
        yield HttpServer(base_url=base, port=port, token=token, log=log)
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=5)


def run_example(args: list[str], *, timeout: float = 120, **env: str) -> subprocess.CompletedProcess[str]:
    """Run an example script as a user would, from the repository root."""
    return subprocess.run(
        args, cwd=ROOT, env=clean_environment(**env), capture_output=True, text=True, timeout=timeout, check=False
    )
