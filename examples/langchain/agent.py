#!/usr/bin/env python3
"""ccc-mcp's tools in a LangGraph agent, through langchain-mcp-adapters.

langchain-mcp-adapters needs the MCP SDK 1.x and ccc-mcp-server needs 2.x, so this runs in its own virtual
environment and launches the server from another one (its protocol handshake is the 2025-11-25 one, which
the server speaks too):

    python3 -m venv .venv-langchain
    .venv-langchain/bin/pip install -r examples/langchain/requirements.txt
    export CCC_MCP_COMMAND="$PWD/.venv/bin/ccc-mcp"        # or: "uvx --from ccc-mcp-server ccc-mcp"
    .venv-langchain/bin/python examples/langchain/agent.py --no-llm
        no model, no key: loads the MCP tools as LangChain tools and runs the find → look → act → verify
        flow as the tool calls an agent's tool node would make
    OPENAI_API_KEY=sk-... .venv-langchain/bin/python examples/langchain/agent.py ["instruction"]
        a LangGraph agent (LangChain's `create_agent`, an OpenAI chat model picked by OPENAI_MODEL)
        decides the calls itself

The flow, on the simulator's demo cast (instance ccc-demo):

1. "Wang's customer is waiting: put them on hold, then take them off hold." list_agents(query="Wang") finds
   wang@ccc-demo; get_agent_status shows the call and its channels; hold_call and retrieve_call get user_id
   alone (the server picks the call and the customer's channel); get_agent_status after each shows the
   customer's channel flags ["HOLD"], then [].
2. "The agent on extension 8001 was muted by mistake: unmute them." list_agents(query="8001") finds
   agent@ccc-demo, get_agent_status shows their own channel ["MUTED"], unmute_call, then [].
3. "Who is muted right now?" A floor question, answered with one call: list_calls(flags=["MUTED"]) reads
   every live call of the instance and returns those with a muted party; on the demo floor, once agent@ccc-demo
   is unmuted, that is cti-fail@ccc-demo (Chen Jie) on job-demo-cti.
4. (--no-llm) unmute_call for idle@ccc-demo, who is not on a call: a ToolMessage with status "error" whose
   text is the structured error, code and hint included.

The server runs as `$CCC_MCP_COMMAND serve --simulator` (default `ccc-mcp` on PATH): the embedded CCC
simulator, no Alibaba account needed; its default instance is ccc-demo, so no call needs instance_id. For
real CCC, drop --simulator and set CCC_INSTANCE_ID and credentials in the server's env.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shlex
import sys
from typing import Any

from langchain_core.messages import HumanMessage, ToolMessage
from langchain_core.runnables import RunnableConfig
from langchain_core.tools import BaseTool
from langchain_mcp_adapters.client import MultiServerMCPClient
from langchain_mcp_adapters.tools import load_mcp_tools

PROMPT = (
    "Wang's customer is waiting: put them on hold, then take them off hold. Also, the agent on extension 8001 "
    "was muted by mistake: unmute them. Then tell me how both calls stand, and who on the floor is muted right now."
)
SYSTEM = (
    "You help contact-centre supervisors control live calls in Alibaba Cloud Contact Center. To act on an "
    "agent's call, work in four steps: find the agent's user_id with list_agents (by part of a name, employee "
    "number or extension); look at their call with get_agent_status; act (hold_call, retrieve_call, mute_call, "
    "unmute_call) with user_id alone, since the server finds the call and the channel itself; then call "
    "get_agent_status again to confirm the channel flags changed. For a question about the whole floor (who is "
    "muted, who has a customer on hold, which calls have three parties) call list_calls once, with flags such as "
    '["MUTED"] or ["HOLD"], instead of get_agent_status for each agent. When a tool result has ok=false, read '
    "error.code and error.hint, explain them, and retry only if error.retryable is true."
)
# A LangGraph run stops after this many steps (the model's turn and the tool call are one each): a bound for a
# model that keeps calling tools. PROMPT takes 23: eleven tool calls (two tasks and the floor question), each
# after a model turn, and the answer.
RECURSION_LIMIT = 60


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


async def invoke(tool: BaseTool, arguments: dict[str, Any], call_id: str) -> ToolMessage:
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


def result_of(message: ToolMessage) -> dict[str, Any]:
    """The tool's JSON: the artifact's structured content on success; for an isError result (status "error")
    the same JSON as text, which is what the model reads."""
    artifact = message.artifact if isinstance(message.artifact, dict) else {}
    if artifact.get("structured_content"):
        return dict(artifact["structured_content"])
    data: dict[str, Any] = json.loads(text_of(message) or "{}")
    return data


# --- without a model: the same flow, as the tool calls an agent's tool node would make ---------------------


class Tools:
    """The MCP tools as LangChain tools, invoked by name with numbered tool-call ids."""

    def __init__(self, tools: list[BaseTool]) -> None:
        self.by_name = {tool.name: tool for tool in tools}
        self.calls = 0

    async def call(self, name: str, arguments: dict[str, Any]) -> dict[str, Any]:
        """Invoke a tool; on an error result print its status, code and hint (what a model would read)."""
        self.calls += 1
        message = await invoke(self.by_name[name], arguments, f"call-{self.calls}")
        data = result_of(message)
        if not data.get("ok"):
            error = data.get("error") or {}
            print(
                f"  {name} {arguments.get('user_id') or arguments}: status {message.status}, "
                f"code {error.get('code')}, retryable {error.get('retryable')}"
            )
            print(f"    hint: {error.get('hint')}")
        return data


def channel_flags(status: dict[str, Any], user_id: str | None) -> list[str] | None:
    """The flags of the agent's own channel (user_id), or of the customer's (None: the external party)."""
    for channel in (status.get("call_context") or {}).get("channel_contexts") or []:
        if (channel.get("user_id") if channel.get("party") == "agent" else None) == user_id:
            flags: list[str] | None = channel.get("flags")
            return flags
    return None


async def find(tools: Tools, query: str) -> str | None:
    """list_agents: the user_id of the one agent whose name, employee number or extension matches."""
    data = await tools.call("list_agents", {"query": query})
    agents = data.get("agents") or []
    found = "; ".join(
        f"{agent['user_id']} ({agent.get('name')}, ext {agent.get('extension')}, {agent.get('state')})"
        for agent in agents
    )
    if data.get("ok"):
        print(f"  list_agents query={query!r}: {found or 'no match'}")
    return str(agents[0]["user_id"]) if len(agents) == 1 else None


async def look(tools: Tools, user_id: str) -> dict[str, Any]:
    """get_agent_status: the agent's state and every channel of their call with its flags."""
    data = await tools.call("get_agent_status", {"user_id": user_id})
    if data.get("ok"):
        user = data.get("user_context") or {}
        call_context = data.get("call_context")
        if call_context is None:
            print(f"  get_agent_status {user_id}: {user.get('user_state')}, not on a call")
        else:
            channels = ", ".join(
                f"{channel.get('user_id') or 'customer ' + str(channel.get('number'))} {channel.get('channel_state')} "
                f"{json.dumps(channel.get('flags'))}"
                for channel in call_context.get("channel_contexts") or []
            )
            print(f"  get_agent_status {user_id}: {user.get('user_state')} on {call_context.get('job_id')}: {channels}")
    return data


async def act(tools: Tools, tool: str, user_id: str) -> bool:
    """A call-control tool with user_id alone: the server resolves the call and channel and says which."""
    data = await tools.call(tool, {"user_id": user_id})
    if data.get("ok"):
        resolved = data.get("resolved")  # absent when the action needed no call or channel id looked up
        print(f"  {tool} {user_id}: status success, ok True" + (f"; {resolved}" if resolved else ""))
    return bool(data.get("ok"))


def verify(what: str, done: bool) -> bool:
    print(f"  {'verified' if done else 'NOT verified'}: {what}")
    return done


async def hold_then_retrieve(tools: Tools, name: str) -> bool:
    print(f"{name}'s customer is waiting: put them on hold, then take them off hold")
    user_id = await find(tools, name)
    if user_id is None or "call_context" not in await look(tools, user_id):
        return False
    if not await act(tools, "hold_call", user_id):
        return False
    held = channel_flags(await look(tools, user_id), None)
    if not verify("the customer is on hold", "HOLD" in (held or [])):
        return False
    if not await act(tools, "retrieve_call", user_id):
        return False
    back = channel_flags(await look(tools, user_id), None)
    return verify("the customer is off hold", back == [])


async def unmute_extension(tools: Tools, extension: str) -> bool:
    print(f"The agent on extension {extension} was muted by mistake: unmute them")
    user_id = await find(tools, extension)
    if user_id is None:
        return False
    before = channel_flags(await look(tools, user_id), user_id)
    if before is None:
        return False
    if "MUTED" not in before:
        return verify("the agent is not muted: nothing to do", True)
    if not await act(tools, "unmute_call", user_id):
        return False
    after = channel_flags(await look(tools, user_id), user_id)
    return verify("the agent's line is unmuted", after is not None and "MUTED" not in after)


def muted_parties(live_call: dict[str, Any]) -> list[str]:
    """Who is muted on one call of a list_calls answer: an agent by user_id and name, anyone else by number."""
    muted = []
    for channel in live_call.get("channel_contexts") or []:
        if "MUTED" not in (channel.get("flags") or []):
            continue
        if channel.get("party") == "agent":
            name = f" ({channel['name']})" if channel.get("name") else ""
            muted.append(f"{channel.get('user_id')}{name}")
        else:
            muted.append(f"number {channel.get('number')}")
    return muted


async def who_is_muted(tools: Tools) -> bool:
    """A floor question in one call: list_calls reads every live call, keeps those with a muted party, and says
    how many it read. (Asking get_agent_status agent by agent would take a call per agent.)"""
    print("Who is muted right now? One list_calls answers for the whole floor")
    data = await tools.call("list_calls", {"flags": ["MUTED"]})
    if not data.get("ok"):
        return False
    calls = data.get("calls") or []
    print(
        f'  list_calls flags=["MUTED"]: {data.get("found")} live calls read ({data.get("agents")} agents on a call), '
        f"{data.get('matched')} with a muted party"
    )
    for live_call in calls:
        print(f"  muted: {', '.join(muted_parties(live_call))} on {live_call.get('job_id')}")
    if not calls:
        print("  muted: nobody")
    # On a large floor, some agents may not have been read in time (partial says why; unread names those whose
    # read failed), and more calls may match than one answer holds (next_cursor asks for the rest). The demo
    # floor needs neither.
    if data.get("partial"):
        print(f"  partial: {data['partial']}")
    if data.get("unread"):
        print(f"  unread: {len(data['unread'])} agents whose status could not be read, each with its error")
    if data.get("next_cursor"):
        print(f"  more calls match: ask again with cursor={data['next_cursor']!r}")
    return True


async def without_model() -> int:
    client = mcp_client()
    # One session (one server process) for all calls; `client.get_tools()` would start one per call.
    async with client.session("ccc") as session:
        loaded = await load_mcp_tools(session, server_name="ccc")
        print(f"LangChain tools from ccc-mcp: {', '.join(tool.name for tool in loaded)}")
        tools = Tools(loaded)
        held = await hold_then_retrieve(tools, "Wang")
        unmuted = await unmute_extension(tools, "8001")
        answered = await who_is_muted(tools)
        # An isError result reaches the model as a ToolMessage with status "error" and the JSON as text.
        print("An agent who is not on a call: unmute_call answers with a structured error")
        await tools.call("unmute_call", {"user_id": "idle@ccc-demo"})
    return 0 if held and unmuted and answered else 1


async def with_model(prompt: str) -> int:
    from langchain.agents import create_agent  # LangChain 1.x's agent: a compiled LangGraph graph
    from langchain_openai import ChatOpenAI

    client = mcp_client()
    async with client.session("ccc") as session:
        tools = await load_mcp_tools(session, server_name="ccc")
        model = ChatOpenAI(model=os.environ.get("OPENAI_MODEL", "gpt-4.1-mini"))
        agent = create_agent(model, tools, system_prompt=SYSTEM)
        config: RunnableConfig = {"recursion_limit": RECURSION_LIMIT}
        state = await agent.ainvoke({"messages": [HumanMessage(prompt)]}, config)
        print(state["messages"][-1].content)
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description="ccc-mcp with langchain-mcp-adapters and LangGraph.")
    parser.add_argument("prompt", nargs="?", default=PROMPT, help="What to ask the agent (model mode).")
    parser.add_argument(
        "--no-llm",
        action="store_true",
        help="Load the MCP tools and run the flow as direct tool calls; no model, no OPENAI_API_KEY.",
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
