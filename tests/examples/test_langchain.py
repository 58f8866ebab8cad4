"""examples/langchain/agent.py, --no-llm and in model mode against the loopback fake of
tests/examples/fake_openai.py, in its own virtual environment (langchain-mcp-adapters needs
mcp<2), launching this environment's `ccc-mcp serve --simulator` as its MCP server.

The environment is built once per requirements file and cached under the temp directory, keyed by the
file's hash (delete it to rebuild). When the packages cannot be installed the test skips, saying why, except
in CI (CI=true), where it fails."""

from __future__ import annotations

import fcntl
import hashlib
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from tests.examples.conftest import (
    EXAMPLES,
    FINAL_ANSWER,
    TOOLS,
    WANG_CUSTOMER_CHANNEL,
    assert_default_flow,
    ccc_mcp_executable,
    clean_environment,
    run_example,
    unavailable,
)
from tests.examples.fake_openai import fake_openai

pytestmark = pytest.mark.e2e

REQUIREMENTS = EXAMPLES / "langchain" / "requirements.txt"
INSTALL_TIMEOUT = 170  # seconds; the whole test stays under ~3 minutes even on a cold cache

def resolved(rule: str) -> str:
    """The `resolved` sentence of a hold or retrieve with user_id alone."""
    return (f"job_id omitted: the agent's current call job-demo-3; channel_id omitted: {WANG_CUSTOMER_CHANNEL}, "
            f"{rule}, the only one on the call (PollUserStatus).")


HOLD_RESOLVED = resolved("the other party's live channel")
RETRIEVE_RESOLVED = resolved("the channel on hold")

WITHOUT_MODEL = [
    f"LangChain tools from ccc-mcp: {', '.join(TOOLS)}",
    "Wang's customer is waiting: put them on hold, then take them off hold",
    "  list_agents query='Wang': wang@ccc-demo (Wang Fang, ext 8006, TALKING)",
    "  get_agent_status wang@ccc-demo: TALKING on job-demo-3: customer 13900000006 ANSWERED [], wang@ccc-demo ANSWERED []",
    f"  hold_call wang@ccc-demo: status success, ok True; {HOLD_RESOLVED}",
    '  get_agent_status wang@ccc-demo: TALKING on job-demo-3: customer 13900000006 ANSWERED ["HOLD"], wang@ccc-demo ANSWERED []',
    "  verified: the customer is on hold",
    f"  retrieve_call wang@ccc-demo: status success, ok True; {RETRIEVE_RESOLVED}",
    "  get_agent_status wang@ccc-demo: TALKING on job-demo-3: customer 13900000006 ANSWERED [], wang@ccc-demo ANSWERED []",
    "  verified: the customer is off hold",
    "The agent on extension 8001 was muted by mistake: unmute them",
    "  list_agents query='8001': agent@ccc-demo (Zhang Wei, ext 8001, TALKING)",
    '  get_agent_status agent@ccc-demo: TALKING on job-demo-1: customer 13900000001 ANSWERED [], agent@ccc-demo ANSWERED ["MUTED"]',
    "  unmute_call agent@ccc-demo: status success, ok True",
    "  get_agent_status agent@ccc-demo: TALKING on job-demo-1: customer 13900000001 ANSWERED [], agent@ccc-demo ANSWERED []",
    "  verified: the agent's line is unmuted",
    "Who is muted right now? One list_calls answers for the whole floor",
    '  list_calls flags=["MUTED"]: 4 live calls read (4 agents on a call), 1 with a muted party',
    "  muted: cti-fail@ccc-demo (Chen Jie) on job-demo-cti",
    "An agent who is not on a call: unmute_call answers with a structured error",
    # An isError result: a ToolMessage with status "error", whose text is the structured error.
    "  unmute_call idle@ccc-demo: status error, code InvalidOperation.UserState, retryable False",
]


def langchain_venv() -> Path:
    """A venv with the example's requirements: reused if it exists, else built (under a lock)."""
    digest = hashlib.sha256(REQUIREMENTS.read_bytes()).hexdigest()[:16]
    tag = f"py{sys.version_info.major}{sys.version_info.minor}"
    base = Path(tempfile.gettempdir()) / "ccc-mcp-examples"
    base.mkdir(exist_ok=True)
    venv = base / f"langchain-{tag}-{digest}"
    python = venv / "bin" / "python"
    with (base / f"langchain-{tag}-{digest}.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if python.exists():
            return venv
        building = venv.with_name(venv.name + ".building")
        shutil.rmtree(building, ignore_errors=True)
        env = clean_environment(PIP_DISABLE_PIP_VERSION_CHECK="1", PIP_PROGRESS_BAR="off")
        try:
            subprocess.run([sys.executable, "-m", "venv", str(building)], check=True, capture_output=True, timeout=60)
            done = subprocess.run(
                [str(building / "bin" / "python"), "-m", "pip", "install", "-q", "-r", str(REQUIREMENTS)],
                env=env,
                capture_output=True,
                text=True,
                timeout=INSTALL_TIMEOUT,
                check=False,
            )
        except (subprocess.SubprocessError, OSError) as exc:
            shutil.rmtree(building, ignore_errors=True)
            unavailable(f"could not build the LangChain example's venv: {type(exc).__name__}: {exc}")
        if done.returncode != 0:
            shutil.rmtree(building, ignore_errors=True)
            tail = "\n".join((done.stdout + done.stderr).strip().splitlines()[-5:])
            unavailable(f"the LangChain example's requirements could not be installed:\n{tail}")
        building.rename(venv)
    return venv


def test_langchain_example_without_a_model() -> None:
    venv = langchain_venv()
    python = str(venv / "bin" / "python")
    # The point of the separate venv: the adapters run on the MCP SDK 1.x, the server on 2.x.
    version = subprocess.run(
        [python, "-c", "import importlib.metadata as m; print(m.version('mcp'))"],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    ).stdout.strip()
    assert version.startswith("1."), version

    done = run_example(
        [python, str(EXAMPLES / "langchain" / "agent.py"), "--no-llm"],
        CCC_MCP_COMMAND=ccc_mcp_executable(),
    )
    assert done.returncode == 0, done.stdout + done.stderr
    lines = done.stdout.splitlines()
    assert lines[:-1] == WITHOUT_MODEL
    assert lines[-1].startswith("    hint: The agent is in state READY")
    assert "Traceback" not in done.stderr


def test_langchain_full_agent_loop_against_a_fake_model() -> None:
    """Model mode with OPENAI_API_KEY set: LangChain's create_agent (a LangGraph graph) with ChatOpenAI runs the
    find → look → act → verify flow through the adapters, then the floor question (one list_calls), one tool
    call per model turn, and answers from the tool results; the model is the loopback fake."""
    python = str(langchain_venv() / "bin" / "python")
    with fake_openai() as fake:
        done = run_example(
            [python, str(EXAMPLES / "langchain" / "agent.py")],
            CCC_MCP_COMMAND=ccc_mcp_executable(),
            OPENAI_API_KEY="sk-fake-for-tests",
            OPENAI_BASE_URL=fake.base_url,
        )
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.strip() == FINAL_ANSWER
    paths = [path for path, _ in fake.requests]
    assert len(paths) == 12, paths
    assert all(path.endswith("/chat/completions") for path in paths), paths
    first = fake.requests[0][1]
    tools = {tool["function"]["name"]: tool["function"] for tool in first["tools"]}
    assert list(tools) == TOOLS
    assert tools["retrieve_call"]["parameters"]["required"] == ["user_id"]
    assert_default_flow(fake.tool_calls())
