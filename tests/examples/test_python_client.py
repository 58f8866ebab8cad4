"""examples/python_client.py, run as a script: it launches `ccc-mcp serve --simulator` over stdio."""

from __future__ import annotations

import sys

import pytest

from tests.examples.conftest import EXAMPLES, run_example

pytestmark = pytest.mark.e2e


def test_python_client_lists_finds_unmutes_asks_the_floor_and_handles_the_error() -> None:
    done = run_example([sys.executable, str(EXAMPLES / "python_client.py")])
    assert done.returncode == 0, done.stdout + done.stderr
    lines = done.stdout.splitlines()
    assert lines[0].startswith("Connected over stdio to `")
    assert lines[0].endswith(" serve --simulator`")
    # All seven tools; the simulator's server has a default instance, so only user_id is required.
    assert [line for line in lines if line.startswith("tools/list: ")] == [
        "tools/list: list_agents — List agents (required: none)",
        "tools/list: list_calls — List calls (required: none)",
        "tools/list: get_agent_status — Get agent status (required: user_id)",
        "tools/list: unmute_call — Unmute call (required: user_id)",
        "tools/list: mute_call — Mute call (required: user_id)",
        "tools/list: hold_call — Hold call (required: user_id)",
        "tools/list: retrieve_call — Retrieve held call (required: user_id)",
    ]
    found = lines.index("  agent@ccc-demo: Zhang Wei, ext 8001, TALKING")
    assert lines[found - 1].startswith("list_agents(instance_id='ccc-demo', query='8001') -> ok, request_id ")
    assert lines[found + 1].startswith(
        "unmute_call(instance_id='ccc-demo', user_id='agent@ccc-demo') -> ok, request_id "
    ), "the user_id list_agents found"
    assert "  agent agent@ccc-demo is TALKING" in lines
    assert "  channel of agent@ccc-demo: ANSWERED, flags []" in lines, "the agent's line is unmuted"
    assert "  channel of customer 13900000001: ANSWERED, flags []" in lines
    # The floor question, after the unmute: one list_calls; the agent just unmuted is no longer among the muted.
    floor = next(index for index, line in enumerate(lines) if line.startswith("list_calls("))
    assert lines[floor].startswith("list_calls(instance_id='ccc-demo', flags=['MUTED']) -> ok, request_id ")
    assert lines[floor - 1] == "  channel of agent@ccc-demo: ANSWERED, flags []", "asked after the unmute"
    assert lines[floor + 1 : floor + 3] == [
        "  4 live calls read (4 agents on a call), 1 with a muted party",
        "  muted: cti-fail@ccc-demo (Chen Jie) on job-demo-cti",
    ]
    assert lines[floor + 3].startswith("unmute_call(instance_id='ccc-demo', user_id='idle@ccc-demo')")
    assert (
        "unmute_call(instance_id='ccc-demo', user_id='idle@ccc-demo') -> error InvalidOperation.UserState "
        "(HTTP 400, retryable: False)"
    ) in lines
    assert any(line.startswith("  hint: The agent is in state READY") for line in lines)
    assert "Traceback" not in done.stderr
