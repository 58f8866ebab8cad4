"""A scripted stand-in for the OpenAI API on loopback, so the examples' model mode (the full agent loop) runs in
tests without a key or a network: `OPENAI_BASE_URL=http://127.0.0.1:PORT/v1`.

It answers the Responses API (the OpenAI Agents SDK) and Chat Completions (LangChain's ChatOpenAI) the same
way: while the conversation has no tool result yet, the "model" asks for `unmute_call` for the demo agent;
once it has one, it answers with a text that quotes the tool result's `ok` and `error.code`. Every request
body is kept, so a test can check what the agent sent (the tool's schema, the tool result)."""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

TOOL_ARGUMENTS = {"instance_id": "ccc-demo", "user_id": "agent@ccc-demo"}


def final_text(tool_output: str) -> str:
    ok = re.search(r'"ok":\s*(true|false)', tool_output)
    code = re.search(r'"code":\s*"([^"]+)"', tool_output)
    return f"FAKE-MODEL: tool ok={ok.group(1) if ok else '?'} code={code.group(1) if code else 'none'}"


def responses_answer(body: dict[str, Any]) -> dict[str, Any]:
    items = body.get("input") if isinstance(body.get("input"), list) else []
    outputs = [item for item in items if isinstance(item, dict) and item.get("type") == "function_call_output"]
    if outputs:
        output: dict[str, Any] = {
            "type": "message",
            "id": "msg_fake",
            "role": "assistant",
            "status": "completed",
            "content": [{"type": "output_text", "text": final_text(str(outputs[-1]["output"])), "annotations": []}],
        }
    else:
        output = {
            "type": "function_call",
            "id": "fc_fake",
            "call_id": "call_fake_1",
            "name": "unmute_call",
            "arguments": json.dumps(TOOL_ARGUMENTS),
            "status": "completed",
        }
    return {
        "id": "resp_fake",
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
    tool_messages = [m for m in body.get("messages", []) if m.get("role") == "tool"]
    if tool_messages:
        content = tool_messages[-1].get("content")
        blocks = content if isinstance(content, list) else [{"text": str(content)}]
        text = "".join(str(block.get("text", "")) for block in blocks if isinstance(block, dict))
        message: dict[str, Any] = {"role": "assistant", "content": final_text(text)}
        finish = "stop"
    else:
        call = {"id": "call_fake_1", "type": "function",
                "function": {"name": "unmute_call", "arguments": json.dumps(TOOL_ARGUMENTS)}}  # fmt: skip
        message = {"role": "assistant", "content": None, "tool_calls": [call]}
        finish = "tool_calls"
    return {
        "id": "chatcmpl_fake",
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
