#!/usr/bin/env python3
"""The official MCP Python SDK as a client of ccc-mcp: list the tools, find an agent, unmute, ask who is muted
on the whole floor, handle an error.

    python examples/python_client.py
        launches `ccc-mcp serve --simulator` over stdio: the embedded CCC simulator, no Alibaba account
    CCC_MCP_AUTH_TOKEN=... python examples/python_client.py --url http://127.0.0.1:8000/mcp
        talks to a running `ccc-mcp serve --transport http` (e.g. started with `--simulator`), sending
        `Authorization: Bearer $CCC_MCP_AUTH_TOKEN`

It needs nothing but ccc-mcp-server installed (`pip install ccc-mcp-server` brings the `mcp` SDK). The
server is found next to this Python (the same virtual environment), else on PATH; set CCC_MCP_COMMAND
(e.g. "uvx --from ccc-mcp-server ccc-mcp") to launch something else.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shlex
import sys
from contextlib import AsyncExitStack
from pathlib import Path
from typing import Any

import httpx2
from mcp import Client
from mcp.client.stdio import StdioServerParameters
from mcp.client.streamable_http import streamable_http_client
from mcp.types import CallToolResult

INSTANCE = "ccc-demo"  # the simulator's demo instance
EXTENSION = "8001"  # agent@ccc-demo's extension: on a call, with a muted line, so unmuting succeeds
IDLE_AGENT = "idle@ccc-demo"  # READY, not on a call: InvalidOperation.UserState


def server_command() -> list[str]:
    """`ccc-mcp` from this virtual environment, else from PATH, unless CCC_MCP_COMMAND says otherwise."""
    override = os.environ.get("CCC_MCP_COMMAND", "").strip()
    if override:
        return shlex.split(override)
    sibling = Path(sys.executable).parent / ("ccc-mcp.exe" if os.name == "nt" else "ccc-mcp")
    return [str(sibling) if sibling.exists() else "ccc-mcp"]


def result_data(result: CallToolResult) -> dict[str, Any]:
    """The tool's JSON: `structured_content`, or the same JSON in the text block for hosts that drop it."""
    if result.structured_content is not None:
        return dict(result.structured_content)
    text = next((block.text for block in result.content if block.type == "text"), "{}")
    data: dict[str, Any] = json.loads(text)
    return data


async def call(client: Client, tool: str, arguments: dict[str, Any], attempts: int = 2) -> dict[str, Any]:
    """Call a tool; repeat once if the error says retrying can help (every tool here is idempotent)."""
    data: dict[str, Any] = {}
    for attempt in range(1, attempts + 1):
        result = await client.call_tool(tool, arguments)
        data = result_data(result)
        error = data.get("error") or {}
        if not result.is_error or not error.get("retryable") or attempt == attempts:
            break
        print(f"  {error.get('code')} is retryable: trying again in 1 s")
        await asyncio.sleep(1)
    return data


def show(tool: str, arguments: dict[str, Any], data: dict[str, Any]) -> None:
    given = ", ".join(f"{name}={value!r}" for name, value in arguments.items())
    if data.get("ok"):
        print(f"{tool}({given}) -> ok, request_id {data.get('request_id')}")
        if "calls" in data:  # list_calls
            show_floor(data)
            return
        for agent in data.get("agents") or []:  # list_agents
            print(f"  {agent['user_id']}: {agent.get('name')}, ext {agent.get('extension')}, {agent.get('state')}")
        user = data.get("user_context") or {}
        if user:
            print(f"  agent {user.get('user_id')} is {user.get('user_state')}")
        for channel in (data.get("call_context") or {}).get("channel_contexts", []):
            # Each channel names its party: an agent (user_id) or an external number (a customer).
            who = channel.get("user_id") if channel["party"] == "agent" else f"customer {channel.get('number')}"
            # `flags`: [] means no flag set, ["MUTED"], ["HOLD"], ...; absent when the answer did not report them
            print(f"  channel of {who}: {channel.get('channel_state')}, flags {json.dumps(channel.get('flags'))}")
        return
    error = data.get("error") or {}
    print(
        f"{tool}({given}) -> error {error.get('code')} (HTTP {error.get('http_status')}, "
        f"retryable: {error.get('retryable')})"
    )
    print(f"  message: {error.get('message')}")
    print(f"  hint: {error.get('hint')}")


def show_floor(data: dict[str, Any]) -> None:
    """A list_calls answer: how many live calls it read, then who is muted on each matching call."""
    print(
        f"  {data.get('found')} live calls read ({data.get('agents')} agents on a call), "
        f"{data.get('matched')} with a muted party"
    )
    for live_call in data.get("calls") or []:
        for channel in live_call.get("channel_contexts", []):
            if "MUTED" in (channel.get("flags") or []):
                who = channel.get("user_id") if channel["party"] == "agent" else f"number {channel.get('number')}"
                name = f" ({channel['name']})" if channel.get("name") else ""
                print(f"  muted: {who}{name} on {live_call.get('job_id')}")
    # On a large floor: not every agent read in time (`partial` says why; `unread` names those whose read
    # failed), and more matching calls than one answer holds (`next_cursor` asks for the rest).
    if data.get("partial"):
        print(f"  partial: {data['partial']}")
    if data.get("unread"):
        print(f"  unread: {len(data['unread'])} agents whose status could not be read, each with its error")
    if data.get("next_cursor"):
        print(f"  more calls match: ask again with cursor={data['next_cursor']!r}")


async def run(url: str | None) -> int:
    async with AsyncExitStack() as stack:
        if url is None:
            command = server_command()
            params = StdioServerParameters(
                command=command[0],
                args=[*command[1:], "serve", "--simulator"],
                # Merged over the SDK's minimal default environment (PATH, HOME, ...). The simulator mode
                # reads no credentials; the first variable only makes sure nothing asks the ECS metadata
                # service. The server logs to stderr (here: your terminal): warnings only, no audit lines.
                env={
                    "ALIBABA_CLOUD_ECS_METADATA_DISABLED": "true",
                    "CCC_MCP_LOG_LEVEL": "WARNING",
                    "CCC_MCP_AUDIT_LOG": "off",
                },
            )
            client = await stack.enter_async_context(Client(params))
            print(f"Connected over stdio to `{shlex.join(command)} serve --simulator`")
        else:
            token = os.environ.get("CCC_MCP_AUTH_TOKEN", "")
            headers = {"Authorization": f"Bearer {token}"} if token else {}
            http = await stack.enter_async_context(httpx2.AsyncClient(headers=headers, timeout=30))
            client = await stack.enter_async_context(Client(streamable_http_client(url, http_client=http)))
            print(f"Connected over Streamable HTTP to {url} ({'bearer token' if token else 'no token'})")

        for tool in (await client.list_tools()).tools:
            required = ", ".join(tool.input_schema.get("required", [])) or "none"
            print(f"tools/list: {tool.name} — {tool.title} (required: {required})")

        # Find the agent: list_agents matches part of a name, employee number or extension.
        find_args = {"instance_id": INSTANCE, "query": EXTENSION}
        found = await call(client, "list_agents", find_args)
        show("list_agents", find_args, found)
        agents = found.get("agents") or []
        if len(agents) != 1:
            print(f"expected one agent on extension {EXTENSION}, found {len(agents)}")
            return 1

        # Act with user_id alone (UnmuteCall needs no call id); the answer shows the call after the action.
        success_args = {"instance_id": INSTANCE, "user_id": agents[0]["user_id"]}
        success = await call(client, "unmute_call", success_args)
        show("unmute_call", success_args, success)

        # A floor question in one call: list_calls reads every live call and keeps those with a muted party.
        floor_args = {"instance_id": INSTANCE, "flags": ["MUTED"]}
        floor = await call(client, "list_calls", floor_args)
        show("list_calls", floor_args, floor)

        error_args = {"instance_id": INSTANCE, "user_id": IDLE_AGENT}
        failure = await call(client, "unmute_call", error_args)
        show("unmute_call", error_args, failure)
    return 0 if success.get("ok") and floor.get("ok") else 1


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument(
        "--url",
        help="URL of a running ccc-mcp HTTP server, e.g. http://127.0.0.1:8000/mcp. "
        "Default: launch `ccc-mcp serve --simulator` over stdio.",
    )
    args = parser.parse_args()
    try:
        return asyncio.run(run(args.url))
    except Exception as exc:  # connection and protocol failures arrive wrapped in exception groups
        print(f"Could not talk to the server: {'; '.join(leaf_messages(exc))}", file=sys.stderr)
        if args.url:
            print(
                "Is `ccc-mcp serve --transport http` running there, and is CCC_MCP_AUTH_TOKEN its token? "
                "A missing or wrong token is answered with HTTP 401.",
                file=sys.stderr,
            )
        return 2


def leaf_messages(exc: BaseException) -> list[str]:
    if isinstance(exc, BaseExceptionGroup):
        return [text for inner in exc.exceptions for text in leaf_messages(inner)]
    return [f"{type(exc).__name__}: {exc}"]


if __name__ == "__main__":
    sys.exit(main())
