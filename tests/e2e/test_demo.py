"""`ccc-mcp demo`, as a newcomer runs it: no account, no input, the find → look → act → verify loop and a
business error, readable, exit status 0."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

pytestmark = pytest.mark.e2e


def test_the_demo_walks_the_loop_and_exits_cleanly() -> None:
    environment = {k: v for k, v in os.environ.items() if not k.startswith(("ALIBABA_CLOUD_", "CCC_"))}
    environment["ALIBABA_CLOUD_ECS_METADATA_DISABLED"] = "true"
    done = subprocess.run(
        [sys.executable, "-m", "ccc_mcp", "demo"], env=environment, capture_output=True, text=True, timeout=120,
        stdin=subprocess.DEVNULL, check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    out = done.stdout
    steps = [
        "tools/list: 7 tools",
        "list_agents(instance_id='ccc-demo', states=['TALKING'])",
        "Wang Fang (wang@ccc-demo, extension 8006): TALKING",
        "get_agent_status(instance_id='ccc-demo', user_id='agent@ccc-demo')",
        "agent@ccc-demo (this agent): ANSWERED, MUTED",
        "unmute_call(instance_id='ccc-demo', user_id='agent@ccc-demo')",
        "agent@ccc-demo (this agent): ANSWERED, no flags",
        "error InvalidOperation.UserState",
        "Call get_agent_status to see what the agent is doing now.",
        "list_calls(instance_id='ccc-demo', flags=['MUTED'])",
        "1 of the 4 live calls match (4 agents read):",
        "cti-fail@ccc-demo (Chen Jie): ANSWERED, MUTED",
        "Done in",
    ]
    positions = [out.find(step) for step in steps]
    assert all(position >= 0 for position in positions), [s for s, p in zip(steps, positions, strict=True) if p < 0]
    assert positions == sorted(positions), "the steps come in the order of the loop"
    assert "Traceback" not in out + done.stderr
