"""The MCP Inspector CLI commands of examples/README.md, run as written.

The Inspector (npm `@modelcontextprotocol/inspector` 2.x) needs Node.js >= 22.19, which this project's
machines do not have by default (they have Node 20), so the test runs when MCP_INSPECTOR names an Inspector
executable whose directory also holds a Node >= 22. CI (.ci/run) installs both and sets it; by hand:

    npm install --prefix /tmp/insp node@22 @modelcontextprotocol/inspector@2
    MCP_INSPECTOR=/tmp/insp/node_modules/.bin/mcp-inspector pytest tests/examples/test_inspector.py

Without MCP_INSPECTOR the test skips, except under CI=true, where it fails: CI must run it.

Each documented command has its `npx ... mcp-inspector` prefix replaced by $MCP_INSPECTOR, `ccc-mcp` found
on PATH from this environment, and the HTTP URL pointed at a server started the documented way. The commands
run in the README's order: over HTTP, hold_call and then retrieve_call act on the same server's state.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import sys
from pathlib import Path

import pytest

from tests.examples.conftest import (
    DEMO_LIVE_CALLS,
    EXAMPLES,
    MUTED_AGENT,
    TALKING_AGENT,
    TOOLS,
    WANG_CUSTOMER_CHANNEL,
    HttpServer,
    channel_flags,
    muted_on_floor,
    run_example,
    unavailable,
)

pytestmark = pytest.mark.e2e

NPX_PREFIX = "npx -y -p node@22 -p @modelcontextprotocol/inspector@2 mcp-inspector"


@pytest.fixture(scope="module")  # module scope, so it runs (and skips) before the module-scoped server
def inspector() -> str:
    """$MCP_INSPECTOR, or a skip (a failure under CI=true), before the HTTP server fixture starts anything."""
    path = os.environ.get("MCP_INSPECTOR", "").strip()
    if not path:
        unavailable(
            "set MCP_INSPECTOR to an @modelcontextprotocol/inspector@2 executable (it needs "
            "Node.js >= 22.19; see this file's docstring)"
        )
    if not Path(path).is_file():
        pytest.fail(f"MCP_INSPECTOR={path} is not a file (in CI: did the Inspector install in .ci/run fail?)")
    return path


def documented_commands() -> list[str]:
    """The shell commands of examples/README.md's Inspector section, continuation lines joined."""
    text = (EXAMPLES / "README.md").read_text()
    section = text.split("## MCP Inspector CLI", 1)[1]
    block = re.search(r"```bash\n(.*?)```", section, re.DOTALL)
    assert block, "the Inspector section has a bash block"
    joined = re.sub(r"\\\n\s*", "", block.group(1))
    return [line.strip() for line in joined.splitlines() if line.strip().startswith("npx ")]


def argv_of(command: str, executable: str, http: HttpServer) -> tuple[list[str], int]:
    """The command's argv with our Inspector, token and port, and the exit status its comment promises."""
    expected = 5 if re.search(r"#\s*exit 5\s*$", command) else 0
    command = re.sub(r"\s+#.*$", "", command)
    assert command.startswith(NPX_PREFIX), command
    command = command.replace("$CCC_MCP_AUTH_TOKEN", http.token).replace(
        "http://127.0.0.1:8000/mcp", f"{http.base_url}/mcp"
    )
    return [executable, *shlex.split(command[len(NPX_PREFIX) :])], expected


def test_documented_inspector_commands(inspector: str, http_server: HttpServer) -> None:
    executable = inspector
    commands = documented_commands()
    assert len(commands) == 8, commands
    path = os.pathsep.join([str(Path(executable).parent), str(Path(sys.executable).parent), os.environ["PATH"]])
    tools_called = []
    for command in commands:
        argv, expected = argv_of(command, executable, http_server)
        done = run_example(argv, timeout=90, PATH=path, MCP_INSPECTOR_SECRET_STORE="memory")
        assert done.returncode == expected, f"{command}\n{done.stdout}\n{done.stderr}"
        out = json.loads(done.stdout)
        result = out.get("result", out)  # `--format json` wraps the answer in {"result": ...}
        if "tools/list" in argv:
            assert [tool["name"] for tool in result["tools"]] == TOOLS
            continue
        tool = argv[argv.index("--tool-name") + 1]
        tools_called.append(tool)
        data = result["structuredContent"]
        if "idle@ccc-demo" in command:
            assert result["isError"] is True
            assert data["error"]["code"] == "InvalidOperation.UserState"
            continue
        assert data["ok"] is True, data
        if tool == "list_agents":
            assert [agent["user_id"] for agent in data["agents"]] == [TALKING_AGENT]
        elif tool in ("hold_call", "retrieve_call"):  # user_id alone: the server resolved the call and channel
            assert "the agent's current call job-demo-3" in data["resolved"]
            assert f"channel_id omitted: {WANG_CUSTOMER_CHANNEL}" in data["resolved"]
        elif tool == "list_calls":  # a fresh server: both muted agents of the demo cast, in one call
            assert [user_id for _, user_id, _ in muted_on_floor(data)] == [TALKING_AGENT, MUTED_AGENT]
            assert data["found"] == DEMO_LIVE_CALLS
        else:
            assert data["user_context"]["user_state"] == "TALKING"
            assert channel_flags(data, TALKING_AGENT) == []
    assert tools_called == ["list_agents", "unmute_call", "unmute_call", "list_calls", "hold_call", "retrieve_call"]
