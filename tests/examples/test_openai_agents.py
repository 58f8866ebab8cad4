"""examples/openai_agents.py: the OpenAI Agents SDK's MCPServerStdio drives the real server through the
find → look → act → verify flow, with --no-llm, without a key, and in model mode against the loopback fake of
tests/examples/fake_openai.py (never a real OpenAI host; the developer's OPENAI_* variables are removed,
tracing is off)."""

from __future__ import annotations

import subprocess
import sys

import pytest

from tests.examples.conftest import (
    DEMO_LIVE_CALLS,
    EXAMPLES,
    FINAL_ANSWER,
    FLOOR_FLOW,
    MUTED_AGENT,
    TALKING_AGENT,
    TOOLS,
    UNMUTE_FLOW,
    WANG_CUSTOMER_CHANNEL,
    assert_default_flow,
    channel_flags,
    muted_on_floor,
    require_module,
    run_example,
)
from tests.examples.fake_openai import FakeOpenAI, fake_openai

INSTALL = "pip install -e '.[examples]' (the test extra brings it too)"

pytestmark = pytest.mark.e2e

def resolved(rule: str) -> str:
    """The `resolved` sentence of a hold or retrieve with user_id alone."""
    return (f"job_id omitted: the agent's current call job-demo-3; channel_id omitted: {WANG_CUSTOMER_CHANNEL}, "
            f"{rule}, the only one on the call (PollUserStatus).")


HOLD_RESOLVED = resolved("the other party's live channel")
RETRIEVE_RESOLVED = resolved("the channel on hold")

WITHOUT_MODEL = [
    f"MCPServerStdio 'ccc' tools: {', '.join(TOOLS)}",
    "Wang's customer is waiting: put them on hold, then take them off hold",
    "  list_agents query='Wang': wang@ccc-demo (Wang Fang, ext 8006, TALKING)",
    "  get_agent_status wang@ccc-demo: TALKING on job-demo-3: customer 13900000006 ANSWERED [], wang@ccc-demo ANSWERED []",
    f"  hold_call wang@ccc-demo: ok; {HOLD_RESOLVED}",
    '  get_agent_status wang@ccc-demo: TALKING on job-demo-3: customer 13900000006 ANSWERED ["HOLD"], wang@ccc-demo ANSWERED []',
    "  verified: the customer is on hold",
    f"  retrieve_call wang@ccc-demo: ok; {RETRIEVE_RESOLVED}",
    "  get_agent_status wang@ccc-demo: TALKING on job-demo-3: customer 13900000006 ANSWERED [], wang@ccc-demo ANSWERED []",
    "  verified: the customer is off hold",
    "The agent on extension 8001 was muted by mistake: unmute them",
    "  list_agents query='8001': agent@ccc-demo (Zhang Wei, ext 8001, TALKING)",
    '  get_agent_status agent@ccc-demo: TALKING on job-demo-1: customer 13900000001 ANSWERED [], agent@ccc-demo ANSWERED ["MUTED"]',
    "  unmute_call agent@ccc-demo: ok",
    "  get_agent_status agent@ccc-demo: TALKING on job-demo-1: customer 13900000001 ANSWERED [], agent@ccc-demo ANSWERED []",
    "  verified: the agent's line is unmuted",
    "Who is muted right now? One list_calls answers for the whole floor",
    '  list_calls flags=["MUTED"]: 4 live calls read (4 agents on a call), 1 with a muted party',
    "  muted: cti-fail@ccc-demo (Chen Jie) on job-demo-cti",
    "An agent who is not on a call: unmute_call answers with a structured error",
    "  unmute_call idle@ccc-demo: isError=True code InvalidOperation.UserState, retryable False",
]


def test_openai_agents_without_a_model() -> None:
    """--no-llm: the same flow as direct tool calls, each step printed, the effect checked after each act."""
    require_module("agents", INSTALL)
    done = run_example([sys.executable, str(EXAMPLES / "openai_agents.py"), "--no-llm"])
    assert done.returncode == 0, done.stdout + done.stderr
    lines = done.stdout.splitlines()
    assert lines[:-1] == WITHOUT_MODEL
    assert lines[-1].startswith("    hint: The agent is in state READY")
    assert "Traceback" not in done.stderr


def test_openai_agents_falls_back_without_a_key() -> None:
    """Without OPENAI_API_KEY (removed by run_example) the script says so and never calls a model."""
    require_module("agents", INSTALL)
    done = run_example([sys.executable, str(EXAMPLES / "openai_agents.py")])
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.startswith("OPENAI_API_KEY is not set: running the tool calls without a model")
    assert "  verified: the customer is off hold" in done.stdout
    assert "code InvalidOperation.UserState" in done.stdout


def with_fake_model(*prompt: str) -> tuple[subprocess.CompletedProcess[str], FakeOpenAI]:
    """Run the example in model mode (OPENAI_API_KEY set) against the loopback fake model, with the prompt
    given (none: the example's default PROMPT); the fake keeps every request it was sent."""
    with fake_openai() as fake:
        done = run_example(
            [sys.executable, str(EXAMPLES / "openai_agents.py"), *prompt],
            OPENAI_API_KEY="sk-fake-for-tests",
            OPENAI_BASE_URL=fake.base_url,
        )
    return done, fake


def test_openai_agents_full_agent_loop_against_a_fake_model() -> None:
    """Model mode with OPENAI_API_KEY set: the Agent gets the seven MCP tools, the (scripted, loopback) model
    finds the agents, looks, acts with user_id alone and looks again, then asks list_calls who is muted, over
    twelve turns (more than the Runner's default ten), and its answer, built from the tool results, is printed.
    Never a real OpenAI host."""
    require_module("agents", INSTALL)
    done, fake = with_fake_model()
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.strip() == FINAL_ANSWER
    assert all(path.endswith("/responses") for path, _ in fake.requests)
    assert len(fake.requests) == 12
    first = fake.requests[0][1]
    tools = {tool["name"]: tool for tool in first["tools"]}
    assert list(tools) == TOOLS
    # The simulator's server has a default instance: a model needs user_id only, and list_agents nothing.
    assert tools["hold_call"]["parameters"]["required"] == ["user_id"]
    assert "instance_id" in tools["hold_call"]["parameters"]["properties"]
    assert "device_id" not in tools["hold_call"]["parameters"]["properties"]
    assert "query" in tools["list_agents"]["parameters"]["properties"]
    assert_default_flow(fake.tool_calls())


def test_openai_agents_follows_the_prompt_given() -> None:
    """The prompt argument reaches the model: a request for the unmute alone runs that flow alone."""
    require_module("agents", INSTALL)
    done, fake = with_fake_model("The agent on extension 8001 is muted: unmute them.")
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.strip() == "FAKE-MODEL: unmute_call agent@ccc-demo ok -> customer [], agent@ccc-demo []"
    calls = fake.tool_calls()
    assert [(call.name, call.arguments) for call in calls] == UNMUTE_FLOW
    assert channel_flags(calls[1].result, "agent@ccc-demo") == ["MUTED"]
    assert channel_flags(calls[-1].result, "agent@ccc-demo") == []


def test_openai_agents_answers_a_floor_question_in_one_call() -> None:
    """"Who is muted right now?" alone: the model asks list_calls once (no list_agents, no look per agent) and
    answers from it; before any unmute, the simulator's demo floor has two muted agents."""
    require_module("agents", INSTALL)
    done, fake = with_fake_model("Who is muted right now?")
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.strip() == (
        "FAKE-MODEL: muted now: agent@ccc-demo (Zhang Wei), cti-fail@ccc-demo (Chen Jie), of 4 live calls"
    )
    calls = fake.tool_calls()
    assert [(call.name, call.arguments) for call in calls] == FLOOR_FLOW
    assert [user_id for _, user_id, _ in muted_on_floor(calls[0].result)] == [TALKING_AGENT, MUTED_AGENT]
    assert (calls[0].result or {})["found"] == DEMO_LIVE_CALLS
