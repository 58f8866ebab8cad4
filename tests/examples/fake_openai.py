"""A scripted stand-in for the OpenAI API on loopback, so the examples' model mode (the full agent loop) runs in
tests without a key or a network: `OPENAI_BASE_URL=http://127.0.0.1:PORT/v1`.

It answers the Responses API (the OpenAI Agents SDK) and Chat Completions (LangChain's ChatOpenAI) the same
way, playing a model that follows the find → look → act → verify flow one tool call per turn. It reads the
user's request for tasks, in the order they are written:

- "<Name>'s customer ... hold": list_agents(query=<Name>), get_agent_status, hold_call, get_agent_status,
  retrieve_call, get_agent_status;
- "extension <digits> ... unmute": list_agents(query=<digits>), get_agent_status, unmute_call,
  get_agent_status;
- "who ... muted" (a floor question): one list_calls(flags=["MUTED"]), never a look per agent.

Each act and look names the agent by the user_id the task's list_agents result found (never a hard-coded
id), with user_id alone: the server resolves the call and the channel. The conversation is re-read on every
request (the clients resend it), so the fake keeps no state of its own. When a tool result has ok=false, or
a search does not find exactly one agent, or a tool it needs is not offered, it stops and says so. Its final
answer reports every action with the channel flags the following get_agent_status showed, e.g.
`FAKE-MODEL: hold_call wang@ccc-demo ok -> customer ["HOLD"], wang@ccc-demo []; ...`, and the floor question
with who list_calls showed muted, e.g. `muted now: cti-fail@ccc-demo (Chen Jie), of 4 live calls`.

Every request body is kept, so a test can check what the agent sent: the tools and their schemas, and, in
the last request, every tool call with its arguments and its result (`FakeOpenAI.tool_calls`)."""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

ACTIONS = ("hold_call", "retrieve_call", "unmute_call", "mute_call")


@dataclass(frozen=True)
class ToolCall:
    """One tool call of the conversation and the JSON result the client sent back (None while pending)."""

    name: str
    arguments: dict[str, Any]
    result: dict[str, Any] | None


@dataclass(frozen=True)
class Conversation:
    """A request body, read the same way for both APIs."""

    prompt: str
    offered: list[str]
    calls: list[ToolCall] = field(default_factory=list)


@dataclass(frozen=True)
class Step:
    """The next tool call to make; `find` is the index of the list_agents step naming the agent, if any;
    `flags` the flags a list_calls step asks for."""

    name: str
    query: str | None = None
    find: int | None = None
    flags: tuple[str, ...] | None = None


def tool_json(raw: Any) -> dict[str, Any] | None:
    """The tool's JSON object (it has "ok") inside whatever the client made of the MCP result: a JSON string,
    a text block `{"type": "text", "text": ...}`, a list of blocks, or the object itself."""
    if isinstance(raw, str):
        try:
            raw = json.loads(raw)
        except ValueError:
            return None
    if isinstance(raw, dict):
        if "ok" in raw:
            return raw
        return tool_json(raw.get("text"))
    if isinstance(raw, list):
        for item in raw:
            found = tool_json(item)
            if found is not None:
                return found
    return None


def text_of(content: Any) -> str:
    """A message's text: a string, or the text of its content blocks."""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "".join(str(block.get("text", "")) for block in content if isinstance(block, dict))
    return ""


def arguments_of(raw: Any) -> dict[str, Any]:
    try:
        parsed = json.loads(raw) if isinstance(raw, str) else raw
    except ValueError:
        return {}
    return parsed if isinstance(parsed, dict) else {}


def read_responses(body: dict[str, Any]) -> Conversation:
    raw = body.get("input")
    items = [item for item in raw if isinstance(item, dict)] if isinstance(raw, list) else []
    user = next((text_of(item.get("content")) for item in items if item.get("role") == "user"), "")
    prompt = raw if isinstance(raw, str) else user
    outputs = {item.get("call_id"): item.get("output") for item in items if item.get("type") == "function_call_output"}
    calls = [
        ToolCall(
            name=str(item.get("name")),
            arguments=arguments_of(item.get("arguments")),
            result=tool_json(outputs[item.get("call_id")]) if item.get("call_id") in outputs else None,
        )
        for item in items
        if item.get("type") == "function_call"
    ]
    offered = [str(tool.get("name")) for tool in body.get("tools") or [] if isinstance(tool, dict)]
    return Conversation(prompt=prompt, offered=offered, calls=calls)


def read_chat(body: dict[str, Any]) -> Conversation:
    messages = [message for message in body.get("messages") or [] if isinstance(message, dict)]
    prompt = next((text_of(message.get("content")) for message in messages if message.get("role") == "user"), "")
    outputs = {
        message.get("tool_call_id"): message.get("content") for message in messages if message.get("role") == "tool"
    }
    calls = [
        ToolCall(
            name=str(call.get("function", {}).get("name")),
            arguments=arguments_of(call.get("function", {}).get("arguments")),
            result=tool_json(text_of(outputs[call.get("id")])) if call.get("id") in outputs else None,
        )
        for message in messages
        if message.get("role") == "assistant"
        for call in message.get("tool_calls") or []
        if isinstance(call, dict)
    ]
    offered = [str(tool.get("function", {}).get("name")) for tool in body.get("tools") or [] if isinstance(tool, dict)]
    return Conversation(prompt=prompt, offered=offered, calls=calls)


def plan(prompt: str) -> list[Step]:
    """The tool calls the user's request asks for, task by task in the order the request names them."""
    tasks: list[tuple[int, str, list[str]]] = []
    held = re.search(r"\b([A-Z][\w-]*)'s customer", prompt)
    if held and "hold" in prompt.lower():
        tasks.append((held.start(), held.group(1), ["hold_call", "retrieve_call"]))
    extension = re.search(r"\bextension (\d+)", prompt)
    if extension and "unmute" in prompt.lower():
        tasks.append((extension.start(), extension.group(1), ["unmute_call"]))
    floor = re.search(r"\bwho\b[^.?!]*\bmuted\b", prompt, re.IGNORECASE)
    if floor:
        tasks.append((floor.start(), "", ["list_calls"]))
    steps: list[Step] = []
    for _, query, actions in sorted(tasks):
        if actions == ["list_calls"]:  # a floor question: one call for the whole floor
            steps.append(Step("list_calls", flags=("MUTED",)))
            continue
        find = len(steps)
        steps += [Step("list_agents", query=query), Step("get_agent_status", find=find)]
        for action in actions:
            steps += [Step(action, find=find), Step("get_agent_status", find=find)]
    return steps


def flags_line(status: dict[str, Any]) -> str:
    """`customer ["HOLD"], wang@ccc-demo []`: who is on each channel of the call, and its flags."""
    channels = (status.get("call_context") or {}).get("channel_contexts") or []
    return ", ".join(
        f"{channel.get('user_id') or 'customer'} {json.dumps(channel.get('flags'))}" for channel in channels
    )


def muted_line(floor: dict[str, Any]) -> str:
    """`cti-fail@ccc-demo (Chen Jie), of 4 live calls`: every muted party of a list_calls answer."""
    muted = [
        f"{channel.get('user_id')} ({channel.get('name')})" if channel.get("party") == "agent" else "customer"
        for call in floor.get("calls") or []
        for channel in call.get("channel_contexts") or []
        if "MUTED" in (channel.get("flags") or [])
    ]
    return f"{', '.join(muted) or 'nobody'}, of {floor.get('found')} live calls"


def report(calls: list[ToolCall]) -> str:
    """The final answer: each action with the flags the next look showed, and who the floor question found muted."""
    lines = []
    for index, call in enumerate(calls):
        if call.name in ACTIONS and index + 1 < len(calls):
            lines.append(f"{call.name} {call.arguments.get('user_id')} ok -> {flags_line(calls[index + 1].result or {})}")
        elif call.name == "list_calls":
            lines.append(f"muted now: {muted_line(call.result or {})}")
    return "FAKE-MODEL: " + "; ".join(lines)


def decide(conversation: Conversation) -> tuple[str, dict[str, Any]] | str:
    """The next tool call (name, arguments), or the final answer's text."""
    calls = conversation.calls
    for call in calls:
        if call.result is None:
            return f"FAKE-MODEL: no result for {call.name}"
        if not call.result.get("ok"):
            error = call.result.get("error") or {}
            return f"FAKE-MODEL: {call.name} failed: {error.get('code')}"
    steps = plan(conversation.prompt)
    if not steps:
        return "FAKE-MODEL: nothing to do"
    if len(calls) < len(steps):
        step = steps[len(calls)]
        if step.name not in conversation.offered:
            return f"FAKE-MODEL: {step.name} is not offered"
        if step.query is not None:
            return step.name, {"query": step.query}
        if step.flags is not None:
            return step.name, {"flags": list(step.flags)}
        assert step.find is not None
        agents = (calls[step.find].result or {}).get("agents") or []
        if len(agents) != 1:
            return f"FAKE-MODEL: list_agents found {len(agents)} agents for {steps[step.find].query!r}"
        return step.name, {"user_id": agents[0]["user_id"]}
    return report(calls)


def responses_answer(body: dict[str, Any]) -> dict[str, Any]:
    conversation = read_responses(body)
    decision = decide(conversation)
    number = len(conversation.calls) + 1
    output: dict[str, Any]
    if isinstance(decision, str):
        output = {
            "type": "message",
            "id": f"msg_fake_{number}",
            "role": "assistant",
            "status": "completed",
            "content": [{"type": "output_text", "text": decision, "annotations": []}],
        }
    else:
        output = {
            "type": "function_call",
            "id": f"fc_fake_{number}",
            "call_id": f"call_fake_{number}",
            "name": decision[0],
            "arguments": json.dumps(decision[1]),
            "status": "completed",
        }
    return {
        "id": f"resp_fake_{number}",
        "object": "response",
        "created_at": 0,
        "model": body.get("model", "fake"),
        "status": "completed",
        "output": [output],
        "parallel_tool_calls": False,
        "tool_choice": "auto",
        "tools": [],
        "usage": {
            "input_tokens": 1,
            "output_tokens": 1,
            "total_tokens": 2,
            "input_tokens_details": {"cached_tokens": 0},
            "output_tokens_details": {"reasoning_tokens": 0},
        },
    }


def chat_answer(body: dict[str, Any]) -> dict[str, Any]:
    conversation = read_chat(body)
    decision = decide(conversation)
    number = len(conversation.calls) + 1
    message: dict[str, Any]
    if isinstance(decision, str):
        message = {"role": "assistant", "content": decision}
        finish = "stop"
    else:
        call = {"id": f"call_fake_{number}", "type": "function",
                "function": {"name": decision[0], "arguments": json.dumps(decision[1])}}  # fmt: skip
        message = {"role": "assistant", "content": None, "tool_calls": [call]}
        finish = "tool_calls"
    return {
        "id": f"chatcmpl_fake_{number}",
        "object": "chat.completion",
        "created": 0,
        "model": body.get("model", "fake"),
        "choices": [{"index": 0, "message": message, "finish_reason": finish}],
        "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2},
    }


class FakeOpenAI:
    def __init__(self, server: ThreadingHTTPServer) -> None:
        self.server = server
        self.requests: list[tuple[str, dict[str, Any]]] = []

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/v1"

    def conversation(self, index: int = -1) -> Conversation:
        """A recorded request, read as the fake read it (the last one holds the whole conversation)."""
        path, body = self.requests[index]
        return read_responses(body) if path.endswith("/responses") else read_chat(body)

    def tool_calls(self) -> list[ToolCall]:
        """Every tool call of the run, in order, with its arguments and the result the agent passed back."""
        return self.conversation().calls


@contextmanager
def fake_openai() -> Iterator[FakeOpenAI]:
    recorded: list[tuple[str, dict[str, Any]]] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = json.loads(self.rfile.read(int(self.headers.get("content-length", "0"))) or b"{}")
            recorded.append((self.path, body))
            if self.path.endswith("/responses"):
                answer = responses_answer(body)
            elif self.path.endswith("/chat/completions"):
                answer = chat_answer(body)
            else:
                self.send_error(404)
                return
            data = json.dumps(answer).encode()
            self.send_response(200)
            self.send_header("content-type", "application/json")
            self.send_header("content-length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, format: str, *args: Any) -> None:
            return

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    fake = FakeOpenAI(server)
    fake.requests = recorded
    try:
        yield fake
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
