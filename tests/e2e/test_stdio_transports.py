"""The real `ccc-mcp serve --simulator` on each stdio transport: its stdin a regular file (the MCP SDK's
transport) or a pipe (ours, on the event loop; the SDK's with CCC_MCP_SDK_FAST_PATHS=off), a 2025-11-25
session of initialize, initialized, tools/list and tools/call, and the same answers either way — the call
included, though stdin ends right after it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

pytestmark = pytest.mark.e2e

SESSION = [
    {
        "jsonrpc": "2.0",
        "id": 1,
        "method": "initialize",
        "params": {"protocolVersion": "2025-11-25", "capabilities": {}, "clientInfo": {"name": "e2e", "version": "1"}},
    },
    {"jsonrpc": "2.0", "method": "notifications/initialized"},
    {"jsonrpc": "2.0", "id": 2, "method": "tools/list"},
    {
        "jsonrpc": "2.0",
        "id": 3,
        "method": "tools/call",
        "params": {"name": "unmute_call", "arguments": {"instance_id": "ccc-demo", "user_id": "agent@ccc-demo"}},
    },
]
TRANSPORT_LOG = {"regular file": "stdio transport: the MCP SDK's", "pipe": "stdio transport: event-loop pipes"}


def serve(stdin_kind: str, tmp_path: Path, fast_paths: str) -> tuple[list[dict[str, Any]], str]:
    requests = b"".join(json.dumps(message).encode() + b"\n" for message in SESSION)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ALIBABA_CLOUD_", "CCC_"))}
    env.update({"ALIBABA_CLOUD_ECS_METADATA_DISABLED": "true", "CCC_MCP_LOG_LEVEL": "DEBUG",
                "CCC_MCP_SDK_FAST_PATHS": fast_paths})  # fmt: skip
    command = [sys.executable, "-m", "ccc_mcp", "serve", "--simulator"]
    if stdin_kind == "pipe":
        done = subprocess.run(command, input=requests, capture_output=True, env=env, timeout=60, check=False)
    else:
        (tmp_path / "requests.jsonl").write_bytes(requests)
        with (tmp_path / "requests.jsonl").open("rb") as stdin:
            done = subprocess.run(command, stdin=stdin, capture_output=True, env=env, timeout=60, check=False)
    stderr = done.stderr.decode()
    assert done.returncode == 0, stderr
    return [json.loads(text) for text in done.stdout.splitlines()], stderr


@pytest.mark.parametrize("fast_paths", ["on", "off"])
@pytest.mark.parametrize("stdin_kind", ["regular file", "pipe"])
def test_a_session_from_a_file_or_a_pipe(stdin_kind: str, fast_paths: str, tmp_path: Path) -> None:
    """With CCC_MCP_SDK_FAST_PATHS=off, the SDK's transport and loop serve either stdin, and the call read just
    before stdin ends is still answered: that wait is ours, around the SDK's public way."""
    answers, stderr = serve(stdin_kind, tmp_path, fast_paths)
    transport = TRANSPORT_LOG[stdin_kind] if fast_paths == "on" else "stdio transport: the MCP SDK's (SDK fast paths off)"
    assert transport in stderr, "the transport chosen for this stdin"
    assert " start-up objects frozen" in stderr, "the garbage collector settled before serving"
    assert [answer["id"] for answer in answers] == [1, 2, 3]
    initialize, listing, called = (answer["result"] for answer in answers)
    assert initialize["protocolVersion"] == "2025-11-25"
    assert initialize["serverInfo"]["name"] == "ccc-mcp-server"
    assert "unmute_call" in [tool["name"] for tool in listing["tools"]]
    assert called["isError"] is False, called
    assert called["structuredContent"]["ok"] is True
