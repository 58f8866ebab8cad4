#!/usr/bin/env python3
"""ccc-mcp as the tool server of an OpenAI Agents SDK agent (`agents.mcp.MCPServerStdio`).

    pip install ccc-mcp-server openai-agents
    python examples/openai_agents.py --no-llm
        no model, no key: connects the MCPServerStdio, lists its tools and calls `unmute_call` directly
    OPENAI_API_KEY=sk-... python examples/openai_agents.py ["instruction for the agent"]
        the full agent loop: the model decides to call `unmute_call` and reads its result

The server is `ccc-mcp serve --simulator` (the embedded CCC simulator, no Alibaba account), found next to
this Python, else on PATH; set CCC_MCP_COMMAND to launch something else. OPENAI_MODEL picks the model.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shlex
import sys
from pathlib import Path
from typing import Any

from agents import Agent, Runner
from agents.mcp import MCPServerStdio

INSTANCE = "ccc-demo"
PROMPT = (
    "Agent agent@ccc-demo on CCC instance ccc-demo was muted by mistake during a customer call. Unmute their "
    "line, then also try idle@ccc-demo, and tell me what happened in each case."
)
INSTRUCTIONS = (
    "You help contact-centre supervisors control live calls in Alibaba Cloud Contact Center. Use the "
    "unmute_call tool. When a tool result has ok=false, read error.code and error.hint, explain them, and "
    "retry only if error.retryable is true."
)

# The SDK's default client session timeout is 5 s: a cold start of the server plus a slow first upstream
# call (retries included, bounded by CCC_DEADLINE = 15 s) can exceed that. Give it room.
SESSION_TIMEOUT_SECONDS = 30.0


def server_command() -> list[str]:
    """`ccc-mcp` from this virtual environment, else from PATH, unless CCC_MCP_COMMAND says otherwise."""
    override = os.environ.get("CCC_MCP_COMMAND", "").strip()
    if override:
        return shlex.split(override)
    sibling = Path(sys.executable).parent / ("ccc-mcp.exe" if os.name == "nt" else "ccc-mcp")
    return [str(sibling) if sibling.exists() else "ccc-mcp"]


def ccc_server() -> MCPServerStdio:
    command = server_command()
    return MCPServerStdio(
        params={
            "command": command[0],
            "args": [*command[1:], "serve", "--simulator"],
            # Merged over the MCP SDK's minimal default environment. No credentials are read in simulator
            # mode; this keeps the credential chain away from the ECS metadata service all the same.
            "env": {
                "ALIBABA_CLOUD_ECS_METADATA_DISABLED": "true",
                "CCC_MCP_LOG_LEVEL": "WARNING",
                "CCC_MCP_AUDIT_LOG": "off",
            },
        },
        name="ccc",
        cache_tools_list=True,  # the tool list does not change while the server runs
        client_session_timeout_seconds=SESSION_TIMEOUT_SECONDS,
    )


def tool_json(result: Any) -> dict[str, Any]:
    """The tool's JSON result: structured content, else the same JSON in its text block."""
    structured = getattr(result, "structured_content", None)
    if structured is None:  # mcp 1.x names it structuredContent
        structured = getattr(result, "structuredContent", None)
    if structured is not None:
        return dict(structured)
    text = next((block.text for block in result.content if getattr(block, "type", "") == "text"), "{}")
    data: dict[str, Any] = json.loads(text)
    return data


async def without_model() -> int:
    """What the agent's tool calls do, without a model: list the tools, call `unmute_call` twice."""
    async with ccc_server() as server:
        tools = await server.list_tools()
        print(f"MCPServerStdio {server.name!r} tools: {', '.join(tool.name for tool in tools)}")
        ok = False
        for user_id in ("agent@ccc-demo", "idle@ccc-demo"):
            result = await server.call_tool("unmute_call", {"instance_id": INSTANCE, "user_id": user_id})
            data = tool_json(result)
            if data.get("ok"):
                user = data.get("user_context") or {}
                print(
                    f"unmute_call {user_id}: ok, request_id {data.get('request_id')}, "
                    f"agent state {user.get('user_state')}"
                )
                ok = True
            else:
                error = data.get("error") or {}
                print(
                    f"unmute_call {user_id}: isError={bool(getattr(result, 'is_error', True))} "
                    f"code {error.get('code')}, retryable {error.get('retryable')}"
                )
                print(f"  hint: {error.get('hint')}")
    return 0 if ok else 1


async def with_model(prompt: str) -> int:
    async with ccc_server() as server:
        agent = Agent(
            name="CCC supervisor assistant",
            instructions=INSTRUCTIONS,
            mcp_servers=[server],
            model=os.environ.get("OPENAI_MODEL") or None,
        )
        result = await Runner.run(agent, prompt)
        print(result.final_output)
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description="ccc-mcp with the OpenAI Agents SDK.")
    parser.add_argument("prompt", nargs="?", default=PROMPT, help="What to ask the agent (model mode).")
    parser.add_argument(
        "--no-llm",
        action="store_true",
        help="Call the tools through MCPServerStdio directly; no model, no OPENAI_API_KEY.",
    )
    args = parser.parse_args()
    if args.no_llm:
        return asyncio.run(without_model())
    if not os.environ.get("OPENAI_API_KEY"):
        print("OPENAI_API_KEY is not set: running the tool calls without a model (as with --no-llm).\n")
        return asyncio.run(without_model())
    return asyncio.run(with_model(args.prompt))


if __name__ == "__main__":
    sys.exit(main())
