"""`ccc-mcp serve --simulator` with CCC_SIM_FLOOR: the embedded simulator gets instance ccc-floor beside the
ccc-demo cast, which stays the default instance; a bad simulator setting stops the start with one line."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from typing import Any

import pytest

pytestmark = pytest.mark.e2e

INITIALIZE = [
    {"jsonrpc": "2.0", "id": 1, "method": "initialize",
     "params": {"protocolVersion": "2025-11-25", "capabilities": {}, "clientInfo": {"name": "e2e", "version": "1"}}},
    {"jsonrpc": "2.0", "method": "notifications/initialized"},
]  # fmt: skip


def tool_call(call_id: int, name: str, arguments: dict[str, Any]) -> dict[str, Any]:
    return {"jsonrpc": "2.0", "id": call_id, "method": "tools/call", "params": {"name": name, "arguments": arguments}}


def serve(messages: list[dict[str, Any]], **env: str) -> subprocess.CompletedProcess[bytes]:
    environment = {k: v for k, v in os.environ.items() if not k.startswith(("ALIBABA_CLOUD_", "CCC_"))}
    environment.update({"ALIBABA_CLOUD_ECS_METADATA_DISABLED": "true", **env})
    requests = b"".join(json.dumps(message).encode() + b"\n" for message in messages)
    return subprocess.run([sys.executable, "-m", "ccc_mcp", "serve", "--simulator"], input=requests,
                          capture_output=True, env=environment, timeout=60, check=False)  # fmt: skip


def test_serve_simulator_with_a_floor() -> None:
    done = serve([
        *INITIALIZE,
        tool_call(2, "list_agents", {"instance_id": "ccc-floor", "query": "Wang", "page_size": 5}),
        tool_call(3, "list_agents", {}),
    ], CCC_SIM_FLOOR="200")  # fmt: skip
    assert done.returncode == 0, done.stderr.decode()
    answers = {answer["id"]: answer["result"] for answer in map(json.loads, done.stdout.splitlines())}
    floor, default = answers[2]["structuredContent"], answers[3]["structuredContent"]
    assert (floor["ok"], floor["total"], len(floor["agents"])) == (True, 20, 5)
    assert default["total"] == 6, "the ccc-demo cast is still the default instance"


def test_a_bad_simulator_setting_stops_the_start_in_one_line() -> None:
    done = serve(INITIALIZE, CCC_SIM_FLOOR="0")
    assert done.returncode == 2
    stderr = done.stderr.decode()
    assert "The embedded simulator cannot start: invalid setting CCC_SIM_FLOOR: Input should be greater than" in stderr
    assert "Traceback" not in stderr
    assert done.stdout == b""
