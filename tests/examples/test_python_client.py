"""examples/python_client.py, run as a script: it launches `ccc-mcp serve --simulator` over stdio."""

from __future__ import annotations

import sys

import pytest

from tests.examples.conftest import EXAMPLES, run_example

pytestmark = pytest.mark.e2e


def test_python_client_lists_unmutes_and_handles_the_error() -> None:
    done = run_example([sys.executable, str(EXAMPLES / "python_client.py")])
    assert done.returncode == 0, done.stdout + done.stderr
    lines = done.stdout.splitlines()
    assert lines[0].startswith("Connected over stdio to `")
    assert lines[0].endswith(" serve --simulator`")
    assert "tools/list: unmute_call — Unmute call (required: instance_id, user_id)" in lines
    assert any(
        line.startswith("unmute_call(instance_id='ccc-demo', user_id='agent@ccc-demo') -> ok, request_id ")
        for line in lines
    )
    assert "  agent agent@ccc-demo is TALKING" in lines
    assert "  channel of agent@ccc-demo: ANSWERED, flags (none)" in lines, "the agent's line is unmuted"
    assert (
        "unmute_call(instance_id='ccc-demo', user_id='idle@ccc-demo') -> error InvalidOperation.UserState "
        "(HTTP 400, retryable: False)"
    ) in lines
    assert any(line.startswith("  hint: The agent is in state READY") for line in lines)
    assert "Traceback" not in done.stderr
