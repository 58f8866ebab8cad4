#!/usr/bin/env python3
"""ccc-mcp's tools in a LangGraph agent, through langchain-mcp-adapters.

langchain-mcp-adapters needs the MCP SDK 1.x and ccc-mcp-server needs 2.x, so this runs in its own virtual
environment and launches the server from another one (its protocol handshake is the 2025-11-25 one, which
the server speaks too):

    python3 -m venv .venv-langchain
    .venv-langchain/bin/pip install -r examples/langchain/requirements.txt
    export CCC_MCP_COMMAND="$PWD/.venv/bin/ccc-mcp"        # or: "uvx --from ccc-mcp-server ccc-mcp"
    .venv-langchain/bin/python examples/langchain/agent.py --no-llm
        no model, no key: loads the MCP tools as LangChain tools and invokes `unmute_call` directly
    OPENAI_API_KEY=sk-... .venv-langchain/bin/python examples/langchain/agent.py ["instruction"]
        a LangGraph agent (LangChain's `create_agent`, an OpenAI chat model picked by OPENAI_MODEL)
        decides the calls itself

The server runs as `$CCC_MCP_COMMAND serve --simulator` (default `ccc-mcp` on PATH): the embedded CCC
simulator, no Alibaba account needed.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shlex
import sys
from typing import Any

from langchain_core.messages import ToolMessage
from langchain_core.tools import BaseTool
from langchain_mcp_adapters.client import MultiServerMCPClient
from langchain_mcp_adapters.tools import load_mcp_tools

INSTANCE = "ccc-demo"
PROMPT = (
    "Agent agent@ccc-demo on CCC instance ccc-demo was muted by mistake during a customer call. Unmute their "
    "line, then also try idle@ccc-demo, and tell me what happened in each case."
)
SYSTEM = (
    "You help contact-centre supervisors control live calls in Alibaba Cloud Contact Center. When a tool "
    "result has ok=false, read error.code and error.hint, explain them, and retry only if error.retryable "
    "is true."
)


def mcp_client() -> MultiServerMCPClient:
    command = shlex.split(os.environ.get("CCC_MCP_COMMAND", "").strip() or "ccc-mcp")
    return MultiServerMCPClient(
        {
            "ccc": {
                "transport": "stdio",
                "command": command[0],
                "args": [*command[1:], "serve", "--simulator"],
                # Merged over the SDK's minimal default environment. Simulator mode reads no credentials; this
                # keeps the credential chain away from the ECS metadata service all the same.
                "env": {
                    "ALIBABA_CLOUD_ECS_METADATA_DISABLED": "true",
                    "CCC_MCP_LOG_LEVEL": "WARNING",
                    "CCC_MCP_AUDIT_LOG": "off",
                },
            }
        }
    )


async def invoke(tool: BaseTool, arguments: dict[str, str], call_id: str) -> ToolMessage:
    """Invoke the tool the way an agent's tool node does: with a tool call, so the result is a ToolMessage
    whose `artifact` holds the MCP structured content and whose `status` is "error" for an isError result."""
    message = await tool.ainvoke({"type": "tool_call", "id": call_id, "name": tool.name, "args": arguments})
    assert isinstance(message, ToolMessage)
    return message


def text_of(message: ToolMessage) -> str:
    """The text the model reads: a string, or the text blocks of a content list."""
    if isinstance(message.content, str):
        return message.content
    return "".join(str(block.get("text", "")) if isinstance(block, dict) else str(block) for block in message.content)


def structured(message: ToolMessage) -> dict[str, Any]:
    artifact = message.artifact if isinstance(message.artifact, dict) else {}
    return dict(artifact.get("structured_content") or {})


async def without_model() -> int:
    client = mcp_client()
    # One session (one server process) for all calls; `client.get_tools()` would start one per call.
    async with client.session("ccc") as session:
        tools = await load_mcp_tools(session, server_name="ccc")
        print(f"LangChain tools from ccc-mcp: {', '.join(tool.name for tool in tools)}")
        unmute_call = next(tool for tool in tools if tool.name == "unmute_call")

        ok = await invoke(unmute_call, {"instance_id": INSTANCE, "user_id": "agent@ccc-demo"}, "call-1")
        data = structured(ok)
        user = data.get("user_context") or {}
        print(
            f"unmute_call agent@ccc-demo: status {ok.status}, ok {data.get('ok')}, "
            f"request_id {data.get('request_id')}, agent state {user.get('user_state')}"
        )

        failed = await invoke(unmute_call, {"instance_id": INSTANCE, "user_id": "idle@ccc-demo"}, "call-2")
        # An isError result reaches the model as a ToolMessage with status "error" and the JSON as text.
        error = json.loads(text_of(failed)).get("error") or {}
        print(
            f"unmute_call idle@ccc-demo: status {failed.status}, code {error.get('code')}, "
            f"retryable {error.get('retryable')}"
        )
        print(f"  hint: {error.get('hint')}")
    return 0 if data.get("ok") else 1


async def with_model(prompt: str) -> int:
    from langchain.agents import create_agent  # LangChain 1.x's agent: a compiled LangGraph graph
    from langchain_openai import ChatOpenAI

    client = mcp_client()
    async with client.session("ccc") as session:
        tools = await load_mcp_tools(session, server_name="ccc")
        model = ChatOpenAI(model=os.environ.get("OPENAI_MODEL", "gpt-4.1-mini"))
        agent = create_agent(model, tools, system_prompt=SYSTEM)
        state = await agent.ainvoke({"messages": [("user", prompt)]})
        print(state["messages"][-1].content)
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description="ccc-mcp with langchain-mcp-adapters and LangGraph.")
    parser.add_argument("prompt", nargs="?", default=PROMPT, help="What to ask the agent (model mode).")
    parser.add_argument(
        "--no-llm",
        action="store_true",
        help="Load the MCP tools and invoke unmute_call directly; no model, no OPENAI_API_KEY.",
    )
    args = parser.parse_args()
    if args.no_llm:
        return asyncio.run(without_model())
    if not os.environ.get("OPENAI_API_KEY"):
        print("OPENAI_API_KEY is not set: invoking the tools without a model (as with --no-llm).\n")
        return asyncio.run(without_model())
    return asyncio.run(with_model(args.prompt))


if __name__ == "__main__":
    sys.exit(main())
