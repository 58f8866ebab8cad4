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
from typing import Any

import pytest

from tests.e2e.conftest import free_port, wait_until_healthy
from tests.environment import environment_without
from tests.examples.fake_openai import ToolCall

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples"
DEMO_INSTANCE = "ccc-demo"
TALKING_AGENT = "agent@ccc-demo"
IDLE_AGENT = "idle@ccc-demo"
TOOLS = ["list_agents", "list_calls", "get_agent_status", "unmute_call", "mute_call", "hold_call", "retrieve_call"]

# The find → look → act → verify flow of the examples' default request (their PROMPT) on the simulator's demo
# cast: hold Wang's customer and take them off hold, then unmute the agent on extension 8001; then the floor
# question "who is muted right now?", one list_calls.
WANG = "wang@ccc-demo"
HOLD_FLOW = [
    ("list_agents", {"query": "Wang"}),
    ("get_agent_status", {"user_id": WANG}),
    ("hold_call", {"user_id": WANG}),
    ("get_agent_status", {"user_id": WANG}),
    ("retrieve_call", {"user_id": WANG}),
    ("get_agent_status", {"user_id": WANG}),
]
UNMUTE_FLOW = [
    ("list_agents", {"query": "8001"}),
    ("get_agent_status", {"user_id": TALKING_AGENT}),
    ("unmute_call", {"user_id": TALKING_AGENT}),
    ("get_agent_status", {"user_id": TALKING_AGENT}),
]
FLOOR_FLOW = [("list_calls", {"flags": ["MUTED"]})]
# Muted once agent@ccc-demo is unmuted: the demo cast's other muted agent, on the outbound call job-demo-cti.
MUTED_AGENT = "cti-fail@ccc-demo"
MUTED_JOB = "job-demo-cti"
DEMO_LIVE_CALLS = 4
WANG_CUSTOMER_CHANNEL = "ch:customer:13900000006->02100000000:1700000300000:job-demo-3"
FINAL_ANSWER = (
    'FAKE-MODEL: hold_call wang@ccc-demo ok -> customer ["HOLD"], wang@ccc-demo []; '
    "retrieve_call wang@ccc-demo ok -> customer [], wang@ccc-demo []; "
    "unmute_call agent@ccc-demo ok -> customer [], agent@ccc-demo []; "
    "muted now: cti-fail@ccc-demo (Chen Jie), of 4 live calls"
)


def channel_flags(result: dict[str, Any] | None, user_id: str | None) -> Any:
    """The `flags` of a tool result's channel: the agent's (user_id), or the customer's (None)."""
    channels = ((result or {}).get("call_context") or {}).get("channel_contexts") or []
    matching = [channel.get("flags") for channel in channels if (channel.get("user_id") or None) == user_id]
    assert len(matching) == 1, channels
    return matching[0]


def muted_on_floor(result: dict[str, Any] | None) -> list[tuple[str, str | None, str | None]]:
    """(job_id, user_id, name) of every muted party in a list_calls result."""
    return [
        (call.get("job_id"), channel.get("user_id"), channel.get("name"))
        for call in (result or {}).get("calls") or []
        for channel in call.get("channel_contexts") or []
        if "MUTED" in (channel.get("flags") or [])
    ]


def assert_default_flow(calls: list[ToolCall]) -> None:
    """The agent ran the whole flow of the default request, in order, and the tool results show its effect:
    the customer's channel flags [] → ["HOLD"] → [], the 8001 agent's own ["MUTED"] → []; then one list_calls
    read the whole floor and found the one agent still muted."""
    assert [(call.name, call.arguments) for call in calls] == HOLD_FLOW + UNMUTE_FLOW + FLOOR_FLOW
    assert all(call.result is not None and call.result["ok"] is True for call in calls), calls
    results = [call.result or {} for call in calls]
    wang, status, hold, held, retrieve, back, zhang, muted, unmute, unmuted, floor = results
    assert [agent["user_id"] for agent in wang["agents"]] == [WANG]
    assert wang["agents"][0]["name"] == "Wang Fang"
    assert status["user_context"]["job_id"] == "job-demo-3"
    assert channel_flags(status, None) == []
    for action in (hold, retrieve):  # user_id alone: the server found the call and the customer's channel
        assert "job-demo-3" in action["resolved"]
        assert f"channel_id omitted: {WANG_CUSTOMER_CHANNEL}" in action["resolved"]
    assert channel_flags(held, None) == ["HOLD"]
    assert channel_flags(back, None) == []
    assert channel_flags(back, WANG) == []
    assert [agent["user_id"] for agent in zhang["agents"]] == [TALKING_AGENT]
    assert channel_flags(muted, TALKING_AGENT) == ["MUTED"]
    assert unmute["user_context"]["user_state"] == "TALKING"
    assert channel_flags(unmuted, TALKING_AGENT) == []
    assert muted_on_floor(floor) == [(MUTED_JOB, MUTED_AGENT, "Chen Jie")], "agent@ccc-demo no longer muted"
    assert (floor["found"], floor["matched"]) == (DEMO_LIVE_CALLS, 1)
    assert "partial" not in floor


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
    env = environment_without("ALIBABA_CLOUD_", "CCC_", "OPENAI_", "LANGSMITH_", "LANGCHAIN_")
    env.pop("PYTHONPATH", None)
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
