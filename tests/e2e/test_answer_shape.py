"""Every answer a model reads, over stdio from the real `ccc-mcp serve --simulator`, keeps the call picture's
rules (tests/answer_rules.py) and its byte budgets (docs/tools.md, "What a model pays for"): a conversation that
calls every tool — successes, business errors, bad input, reads before and after each action — and checks
every answer, the spellings across tools, and the sizes. Sizes are deterministic (fixed scenario, fixed-length
ids): this is a size check, not a timing."""

from __future__ import annotations

import json
import os
import sys
from typing import Any

import pytest
from mcp import Client
from mcp.client.stdio import StdioServerParameters

from tests.answer_rules import assert_clean, spellings

pytestmark = pytest.mark.e2e

BUDGETS = {"tools/list": 30_000, "get_agent_status": 800, "unmute_call": 800}  # bytes (docs/tools.md)
WANG = {"user_id": "wang@ccc-demo"}
CONVERSATION: list[tuple[str, dict[str, Any]]] = [
    ("get_agent_status", WANG),
    ("unmute_call", {"user_id": "agent@ccc-demo"}),
    ("list_agents", {}),
    ("list_agents", {"query": "Wang"}),
    ("list_agents", {"query": "idle"}),
    ("list_agents", {"query": "nobody-at-all", "states": ["TALKING"]}),
    ("list_agents", {"states": ["TALKING"], "page_size": 2, "page": 2}),
    ("list_calls", {}),
    ("list_calls", {"flags": ["MUTED"], "min_parties": 2, "limit": 1}),
    ("list_calls", {"flags": ["COACHING"]}),
    ("list_calls", {"flags": ["MUTE"]}),
    ("get_agent_status", {"user_id": "agent@ccc-demo"}),
    ("get_agent_status", {"user_id": "idle@ccc-demo"}),
    ("get_agent_status", {"user_id": "break@ccc-demo"}),
    ("get_agent_status", {"user_id": "ringing@ccc-demo"}),
    ("get_agent_status", {"user_id": "nobody@ccc-demo"}),
    ("mute_call", WANG),
    ("get_agent_status", WANG),
    ("unmute_call", WANG),
    ("hold_call", WANG),
    ("hold_call", WANG),
    ("get_agent_status", WANG),
    ("retrieve_call", WANG),
    ("retrieve_call", WANG),
    ("retrieve_call", {**WANG, "job_id": "job-demo-3",
                       "channel_id": "ch:customer:13900000006->02100000000:1700000300000:job-demo-3"}),
    ("mute_call", {"user_id": "idle@ccc-demo"}),
    ("hold_call", {"user_id": "cti-fail@ccc-demo"}),
    ("unmute_call", {"user_id": "ringing@ccc-demo"}),
    ("unmute_call", {"user_id": "x\u0000y"}),
    ("mute_call", {"user_id": "agent@ccc-demo", "channel_id": "ch-1"}),
]


def _params(*flags: str) -> StdioServerParameters:
    environment = {k: v for k, v in os.environ.items() if not k.startswith(("ALIBABA_CLOUD_", "CCC_"))}
    environment.update({"ALIBABA_CLOUD_ECS_METADATA_DISABLED": "true", "CCC_MCP_AUDIT_LOG": "off",
                        "CCC_INSTANCE_ID": "ccc-demo"})
    return StdioServerParameters(
        command=sys.executable, args=["-m", "ccc_mcp", "serve", "--simulator", *flags], env=environment
    )


async def _converse() -> tuple[int, list[tuple[str, dict[str, Any], int]]]:
    """tools/list's size, then each answer of the conversation with the size of its text."""
    answers = []
    async with Client(_params()) as client:
        listed = await client.list_tools()
        for tool, arguments in CONVERSATION:
            result = await client.call_tool(tool, arguments)
            out = result.structured_content or {}
            [text] = result.content
            assert json.loads(text.text) == out  # type: ignore[union-attr]
            answers.append((tool, out, len(text.text.encode())))  # type: ignore[union-attr]
    return tools_list_size(listed.tools), answers


def tools_list_size(tools: list[Any]) -> int:
    """The bytes of the published tools as JSON with Python's default separators: the measure that gave
    "79 KB" for 0.1.0 (the server's own compact encoding is some 6 % smaller)."""
    return len(json.dumps([tool.model_dump(mode="json", by_alias=True, exclude_none=True) for tool in tools]))


@pytest.fixture(scope="module")
def conversation() -> tuple[int, list[tuple[str, dict[str, Any], int]]]:
    import anyio

    return anyio.run(_converse)


def test_every_answer_keeps_the_rules_of_the_call_picture(
    conversation: tuple[int, list[tuple[str, dict[str, Any], int]]],
) -> None:
    _, answers = conversation
    for tool, out, _ in answers:
        try:
            assert_clean(out)
        except AssertionError as failure:
            raise AssertionError(f"{tool}: {failure}\n{json.dumps(out)}") from None
    tools = {"list_agents", "list_calls", "get_agent_status", "unmute_call", "mute_call", "hold_call", "retrieve_call"}
    assert {tool for tool, out, _ in answers if out["ok"]} == tools
    assert {tool for tool, out, _ in answers if not out["ok"]} == tools - {"list_agents"}, "errors checked too"


def test_every_value_has_one_spelling_across_tools(
    conversation: tuple[int, list[tuple[str, dict[str, Any], int]]],
) -> None:
    _, answers = conversation
    seen = {(field, value, tool) for tool, out, _ in answers for field, value in spellings(out)}
    assert {tool for _, _, tool in seen} >= {"list_agents", "list_calls", "get_agent_status", "unmute_call"}
    assert [entry for entry in seen if entry[1] != entry[1].upper()] == []
    listed = {value for field, value, tool in seen if field == "call_type" and tool == "list_agents"}
    contexts = {value for field, value, tool in seen if field == "call_type" and tool != "list_agents"}
    assert "INBOUND" in listed & contexts, "list_agents and the contexts spell the same call type alike"


def test_what_a_model_pays_for_stays_within_budget(
    conversation: tuple[int, list[tuple[str, dict[str, Any], int]]],
) -> None:
    listed, answers = conversation
    first = {tool: size for tool, out, size in reversed(answers[:2])}
    sizes = {"tools/list": listed, "get_agent_status": first["get_agent_status"], "unmute_call": first["unmute_call"]}
    assert {name: size for name, size in sizes.items() if size > BUDGETS[name]} == {}, sizes
