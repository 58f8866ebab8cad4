#!/usr/bin/env python3
"""ccc-mcp as the tool server of an OpenAI Agents SDK agent (`agents.mcp.MCPServerStdio`).

    pip install ccc-mcp-server openai-agents
    python examples/openai_agents.py --no-llm
        no model, no key: the find → look → act → verify flow as direct tool calls through MCPServerStdio
    OPENAI_API_KEY=sk-... python examples/openai_agents.py ["instruction for the agent"]
        the full agent loop: the model finds the agents, looks at their calls, acts and checks the effect

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
4. (--no-llm) unmute_call for idle@ccc-demo, who is not on a call: a structured error with a hint.

The server is `ccc-mcp serve --simulator` (the embedded CCC simulator, no Alibaba account; its default
instance is ccc-demo, so no call needs instance_id), found next to this Python, else on PATH; set
CCC_MCP_COMMAND to launch something else. For real CCC, drop --simulator and set CCC_INSTANCE_ID and
credentials in the server's env. OPENAI_MODEL picks the model.
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

PROMPT = (
    "Wang's customer is waiting: put them on hold, then take them off hold. Also, the agent on extension 8001 "
    "was muted by mistake: unmute them. Then tell me how both calls stand, and who on the floor is muted right now."
)
INSTRUCTIONS = (
    "You help contact-centre supervisors control live calls in Alibaba Cloud Contact Center. To act on an "
    "agent's call, work in four steps: find the agent's user_id with list_agents (by part of a name, employee "
    "number or extension); look at their call with get_agent_status; act (hold_call, retrieve_call, mute_call, "
    "unmute_call) with user_id alone, since the server finds the call and the channel itself; then call "
    "get_agent_status again to confirm the channel flags changed. For a question about the whole floor (who is "
    "muted, who has a customer on hold, which calls have three parties) call list_calls once, with flags such as "
    '["MUTED"] or ["HOLD"], instead of get_agent_status for each agent. When a tool result has ok=false, read '
    "error.code and error.hint, explain them, and retry only if error.retryable is true."
)

# The SDK's default client session timeout is 5 s: a cold start of the server plus a slow first upstream
# call (retries included, bounded by CCC_DEADLINE = 15 s) can exceed that. Give it room.
SESSION_TIMEOUT_SECONDS = 30.0
# Runner.run allows 10 model turns by default; the default PROMPT takes 12: find, look, act and verify for two
# tasks (ten tool calls), the floor question (one list_calls), and the answer.
MAX_TURNS = 30


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


# --- without a model: the same flow, as direct tool calls -------------------------------------------------


async def call(server: MCPServerStdio, tool: str, arguments: dict[str, Any]) -> dict[str, Any]:
    """Call a tool; on an error result print its code and hint (a model would read them the same way)."""
    result = await server.call_tool(tool, arguments)
    data = tool_json(result)
    if not data.get("ok"):
        error = data.get("error") or {}
        is_error = getattr(result, "is_error", getattr(result, "isError", None))
        print(
            f"  {tool} {arguments.get('user_id') or arguments}: isError={is_error} code {error.get('code')}, "
            f"retryable {error.get('retryable')}"
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


async def find(server: MCPServerStdio, query: str) -> str | None:
    """list_agents: the user_id of the one agent whose name, employee number or extension matches."""
    data = await call(server, "list_agents", {"query": query})
    agents = data.get("agents") or []
    found = "; ".join(
        f"{agent['user_id']} ({agent.get('name')}, ext {agent.get('extension')}, {agent.get('state')})"
        for agent in agents
    )
    if data.get("ok"):
        print(f"  list_agents query={query!r}: {found or 'no match'}")
    return str(agents[0]["user_id"]) if len(agents) == 1 else None


async def look(server: MCPServerStdio, user_id: str) -> dict[str, Any]:
    """get_agent_status: the agent's state and every channel of their call with its flags."""
    data = await call(server, "get_agent_status", {"user_id": user_id})
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


async def act(server: MCPServerStdio, tool: str, user_id: str) -> bool:
    """A call-control tool with user_id alone: the server resolves the call and channel and says which."""
    data = await call(server, tool, {"user_id": user_id})
    if data.get("ok"):
        resolved = data.get("resolved")  # absent when the action needed no call or channel id looked up
        print(f"  {tool} {user_id}: ok" + (f"; {resolved}" if resolved else ""))
    return bool(data.get("ok"))


def verify(what: str, done: bool) -> bool:
    print(f"  {'verified' if done else 'NOT verified'}: {what}")
    return done


async def hold_then_retrieve(server: MCPServerStdio, name: str) -> bool:
    print(f"{name}'s customer is waiting: put them on hold, then take them off hold")
    user_id = await find(server, name)
    if user_id is None or "call_context" not in await look(server, user_id):
        return False
    if not await act(server, "hold_call", user_id):
        return False
    held = channel_flags(await look(server, user_id), None)
    if not verify("the customer is on hold", "HOLD" in (held or [])):
        return False
    if not await act(server, "retrieve_call", user_id):
        return False
    back = channel_flags(await look(server, user_id), None)
    return verify("the customer is off hold", back == [])


async def unmute_extension(server: MCPServerStdio, extension: str) -> bool:
    print(f"The agent on extension {extension} was muted by mistake: unmute them")
    user_id = await find(server, extension)
    if user_id is None:
        return False
    before = channel_flags(await look(server, user_id), user_id)
    if before is None:
        return False
    if "MUTED" not in before:
        return verify("the agent is not muted: nothing to do", True)
    if not await act(server, "unmute_call", user_id):
        return False
    after = channel_flags(await look(server, user_id), user_id)
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


async def who_is_muted(server: MCPServerStdio) -> bool:
    """A floor question in one call: list_calls reads every live call, keeps those with a muted party, and says
    how many it read. (Asking get_agent_status agent by agent would take a call per agent.)"""
    print("Who is muted right now? One list_calls answers for the whole floor")
    data = await call(server, "list_calls", {"flags": ["MUTED"]})
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
    async with ccc_server() as server:
        tools = await server.list_tools()
        print(f"MCPServerStdio {server.name!r} tools: {', '.join(tool.name for tool in tools)}")
        held = await hold_then_retrieve(server, "Wang")
        unmuted = await unmute_extension(server, "8001")
        answered = await who_is_muted(server)
        print("An agent who is not on a call: unmute_call answers with a structured error")
        await call(server, "unmute_call", {"user_id": "idle@ccc-demo"})
    return 0 if held and unmuted and answered else 1


async def with_model(prompt: str) -> int:
    async with ccc_server() as server:
        agent = Agent(
            name="CCC supervisor assistant",
            instructions=INSTRUCTIONS,
            mcp_servers=[server],
            model=os.environ.get("OPENAI_MODEL") or None,
        )
        result = await Runner.run(agent, prompt, max_turns=MAX_TURNS)
        print(result.final_output)
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description="ccc-mcp with the OpenAI Agents SDK.")
    parser.add_argument("prompt", nargs="?", default=PROMPT, help="What to ask the agent (model mode).")
    parser.add_argument(
        "--no-llm",
        action="store_true",
        help="Run the flow as direct tool calls through MCPServerStdio; no model, no OPENAI_API_KEY.",
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
