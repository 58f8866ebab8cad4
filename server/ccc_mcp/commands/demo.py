"""`ccc-mcp demo`: the product at work in a few seconds, with no Alibaba account.

It starts the embedded simulator, launches `ccc-mcp serve` as a subprocess over stdio (exactly as a
desktop client would), connects the MCP SDK's client and walks the loop a model drives: find the agents on
a call (list_agents), look at one agent's call (get_agent_status), unmute them (unmute_call), look again to
verify, show the structured error for an agent who is not on a call, and ask one floor question ("who is
muted right now?", list_calls). Output is for a person, on stdout.
"""

from __future__ import annotations

import os
import sys
import time
from typing import Any

import anyio

__all__ = ["run_demo"]

DEMO_INSTANCE = "ccc-demo"
DEMO_AGENT = "agent@ccc-demo"
STEPS: list[tuple[str, str, dict[str, Any]]] = [
    ("Find the agents who are on a call", "list_agents", {"instance_id": DEMO_INSTANCE, "states": ["TALKING"]}),
    ("Look at the demo agent's call: their line is muted", "get_agent_status",
     {"instance_id": DEMO_INSTANCE, "user_id": DEMO_AGENT}),
    ("Unmute them", "unmute_call", {"instance_id": DEMO_INSTANCE, "user_id": DEMO_AGENT}),
    ("Look again to verify", "get_agent_status", {"instance_id": DEMO_INSTANCE, "user_id": DEMO_AGENT}),
    ("Try an agent who is not on a call (a business error, returned as a structured result)", "unmute_call",
     {"instance_id": DEMO_INSTANCE, "user_id": "idle@ccc-demo"}),
    ("A floor question in one call: who is muted right now?", "list_calls",
     {"instance_id": DEMO_INSTANCE, "flags": ["MUTED"]}),
]  # fmt: skip


def _say(text: str = "") -> None:
    sys.stdout.write(text + "\n")
    sys.stdout.flush()


def run_demo(log_level: str = "WARNING") -> int:
    started = time.monotonic()
    try:
        anyio.run(_demo, log_level)
    except Exception as exc:  # a demo must end with a readable line, not a traceback
        _say(f"\nThe demo failed: {type(exc).__name__}: {exc}")
        return 1
    _say(f"\nDone in {time.monotonic() - started:.1f} s. Next: `ccc-mcp serve --simulator` to connect your own client.")
    return 0


async def _demo(log_level: str) -> None:
    from mcp import Client
    from mcp.client.stdio import StdioServerParameters

    from ccc_mcp.simulator import running_simulator

    _say("ccc-mcp demo: an MCP server for Alibaba Cloud Contact Center, against the embedded simulator\n")
    async with running_simulator(host="127.0.0.1", port=0) as sim:
        _say(f"1. CCC simulator listening at {sim.endpoint} (instance {DEMO_INSTANCE}, demo AccessKey)")
        params = StdioServerParameters(
            command=sys.executable,
            args=["-m", "ccc_mcp", "serve", "--endpoint", sim.endpoint, "--log-level", log_level],
            env=_server_environment(sim.access_key_id, sim.access_key_secret),
        )
        connect_started = time.monotonic()
        async with Client(params) as client:
            _say(f"2. Launched `ccc-mcp serve` over stdio and connected an MCP client "
                 f"({(time.monotonic() - connect_started) * 1000:.0f} ms)")
            tools = (await client.list_tools()).tools
            _say(f"3. tools/list: {len(tools)} tools (arguments; * = required)")
            for tool in tools:
                _show_tool(tool)
            for step, (title, name, arguments) in enumerate(STEPS, start=4):
                _say(f"\n{step}. {title}:")
                _say(f"   {name}({', '.join(f'{k}={v!r}' for k, v in arguments.items())})")
                result = await client.call_tool(name, arguments)
                _show_result(result.structured_content or {}, bool(result.is_error))


def _server_environment(key_id: str, secret: str) -> dict[str, str]:
    """The simulator's demo key for the child; nothing of the user's own Alibaba configuration."""
    env = {name: value for name, value in os.environ.items() if not name.startswith(("ALIBABA_CLOUD_", "CCC_"))}
    env.update({
        "ALIBABA_CLOUD_ACCESS_KEY_ID": key_id,
        "ALIBABA_CLOUD_ACCESS_KEY_SECRET": secret,
        "ALIBABA_CLOUD_ECS_METADATA_DISABLED": "true",
        "CCC_MCP_AUDIT_LOG": "off",  # the demo's own output shows every call already
    })
    return env


def _show_tool(tool: Any) -> None:
    schema = tool.input_schema
    required = set(schema.get("required", []))
    names = ", ".join(f"{name}{'*' if name in required else ''}" for name in schema.get("properties", {}))
    _say(f"   - {tool.name} ({tool.title}): {names}")


def _show_result(out: dict[str, Any], is_error: bool) -> None:
    if is_error or not out.get("ok"):
        _show_error(out)
        return
    _say(f"   ok — request id {out.get('request_id')}")
    if "calls" in out:
        _say(f"   {out.get('matched')} of the {out.get('found')} live calls match ({out.get('agents')} agents read):")
        for call in out["calls"]:
            _say(f"   call {call.get('job_id')} ({call.get('call_type')}):")
            for channel in call.get("channel_contexts", []):
                _show_channel(channel)
        return
    if "agents" in out:
        for agent in out["agents"]:
            _say(f"     - {agent.get('name')} ({agent.get('user_id')}, extension {agent.get('extension')}): "
                 f"{agent.get('state')} for {agent.get('seconds_in_state')} s")
        _say(f"   {out.get('total')} in all; next page: {out.get('next_page') or 'none'}")
        return
    call = out.get("call_context")
    if call is None:
        _say("   not on a call")
    else:
        _say(f"   call {call.get('job_id')} ({call.get('call_type')}), channels:")
        for channel in call.get("channel_contexts", []):
            _show_channel(channel)
    user = out.get("user_context") or {}
    _say(f"   agent {user.get('user_id')}: {user.get('user_state')}, extension {user.get('extension')}")


def _show_channel(channel: dict[str, Any]) -> None:
    name = f" ({channel['name']})" if channel.get("name") else ""
    who = f"{channel.get('user_id')}{name}" if channel.get("party") == "agent" else f"customer {channel.get('number')}"
    if channel.get("subject"):
        who += " (this agent)"
    flags = channel.get("flags")
    shown = "flags not reported" if flags is None else ", ".join(flags) or "no flags (heard, not held)"
    _say(f"     - {who}: {channel.get('channel_state')}, {shown}")


def _show_error(out: dict[str, Any]) -> None:
    error = out.get("error") or {}
    retry = "yes" if error.get("retryable") else "no"
    _say(f"   error {error.get('code')} (HTTP {error.get('http_status')}, retryable: {retry}, "
         f"request id {out.get('request_id')})")
    _say(f"   message: {error.get('message')}")
    _say(f"   hint for the model: {error.get('hint')}")
