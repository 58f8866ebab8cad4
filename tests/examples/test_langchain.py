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

from tests.examples.conftest import EXAMPLES, ccc_mcp_executable, clean_environment, run_example, unavailable
from tests.examples.fake_openai import fake_openai

pytestmark = pytest.mark.e2e

REQUIREMENTS = EXAMPLES / "langchain" / "requirements.txt"
INSTALL_TIMEOUT = 170  # seconds; the whole test stays under ~3 minutes even on a cold cache


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
    assert lines[0] == "LangChain tools from ccc-mcp: unmute_call"
    assert lines[1].startswith("unmute_call agent@ccc-demo: status success, ok True, request_id ")
    assert lines[1].endswith("agent state TALKING")
    assert lines[2] == "unmute_call idle@ccc-demo: status error, code InvalidOperation.UserState, retryable False"
    assert lines[3].startswith("  hint: The agent is in state READY")


def test_langchain_full_agent_loop_against_a_fake_model() -> None:
    """Model mode with OPENAI_API_KEY set: LangChain's create_agent (a LangGraph graph) with ChatOpenAI calls
    the tool through the adapters and answers from its result; the model is the loopback fake."""
    python = str(langchain_venv() / "bin" / "python")
    with fake_openai() as fake:
        done = run_example(
            [python, str(EXAMPLES / "langchain" / "agent.py")],
            CCC_MCP_COMMAND=ccc_mcp_executable(),
            OPENAI_API_KEY="sk-fake-for-tests",
            OPENAI_BASE_URL=fake.base_url,
        )
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.strip() == "FAKE-MODEL: tool ok=true code=none"
    paths = [path for path, _ in fake.requests]
    assert len(paths) == 2, paths
    first = fake.requests[0][1]
    assert [tool["function"]["name"] for tool in first["tools"]] == ["unmute_call"]
