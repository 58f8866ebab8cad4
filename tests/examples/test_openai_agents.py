"""examples/openai_agents.py: the OpenAI Agents SDK's MCPServerStdio drives the real server, with --no-llm,
without a key, and in model mode against the loopback fake of tests/examples/fake_openai.py (never a real
OpenAI host; the developer's OPENAI_* variables are removed, tracing is off)."""

from __future__ import annotations

import sys

import pytest

from tests.examples.conftest import EXAMPLES, require_module, run_example
from tests.examples.fake_openai import fake_openai

INSTALL = "pip install -e '.[examples]' (the test extra brings it too)"

pytestmark = pytest.mark.e2e


def test_openai_agents_without_a_model() -> None:
    require_module("agents", INSTALL)
    done = run_example([sys.executable, str(EXAMPLES / "openai_agents.py"), "--no-llm"])
    assert done.returncode == 0, done.stdout + done.stderr
    lines = done.stdout.splitlines()
    assert lines[0] == "MCPServerStdio 'ccc' tools: unmute_call"
    assert lines[1].startswith("unmute_call agent@ccc-demo: ok, request_id ")
    assert lines[1].endswith("agent state TALKING")
    assert lines[2] == "unmute_call idle@ccc-demo: isError=True code InvalidOperation.UserState, retryable False"
    assert lines[3].startswith("  hint: The agent is in state READY")


def test_openai_agents_falls_back_without_a_key() -> None:
    """Without OPENAI_API_KEY (removed by run_example) the script says so and never calls a model."""
    require_module("agents", INSTALL)
    done = run_example([sys.executable, str(EXAMPLES / "openai_agents.py")])
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.startswith("OPENAI_API_KEY is not set: running the tool calls without a model")
    assert "code InvalidOperation.UserState" in done.stdout


def test_openai_agents_full_agent_loop_against_a_fake_model() -> None:
    """Model mode with OPENAI_API_KEY set: the Agent gets the MCP tool, the (scripted, loopback) model calls
    it, the result goes back to the model, and its answer is printed. Never a real OpenAI host."""
    require_module("agents", INSTALL)
    with fake_openai() as fake:
        done = run_example(
            [sys.executable, str(EXAMPLES / "openai_agents.py")],
            OPENAI_API_KEY="sk-fake-for-tests",
            OPENAI_BASE_URL=fake.base_url,
        )
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.strip() == "FAKE-MODEL: tool ok=true code=none"
    first_path, first = fake.requests[0]
    assert first_path.endswith("/responses")
    assert [tool["name"] for tool in first["tools"]] == ["unmute_call"]
    assert "instance_id" in first["tools"][0]["parameters"]["properties"]
