"""Pins the MCP SDK behaviour that `ccc_mcp.mcpserver.adapter` relies on, so an SDK upgrade that changes it
fails here first, with a name that says what broke."""

from __future__ import annotations

from typing import Any

from mcp import Client
from mcp.server.mcpserver import MCPServer

from ccc_mcp.api.credentials import StaticCredentials
from ccc_mcp.config.settings import load_settings
from ccc_mcp.mcpserver.adapter import Toolset, build_mcp_tool
from ccc_mcp.mcpserver.assembly import build_server
from ccc_mcp.tools.schema import published_input_schema
from ccc_mcp.tools.unmute_call import UNMUTE_CALL
from tests.fakes import FAKE_ENDPOINT, TEST_KEY, FakeCcc


async def test_a_hand_built_tool_publishes_our_schemas_and_gets_raw_arguments() -> None:
    """Tool(parameters=..., fn_metadata=FuncMetadata(output_schema=...)) is published as given, and the
    overridden Tool.run hands the caller's arguments to our handler unvalidated: a wrong type reaches our
    validation (a structured Parameter.Invalid), not the SDK's (raw pydantic text)."""
    fake = FakeCcc()
    settings = load_settings(endpoint=FAKE_ENDPOINT, tools="unmute_call")
    server = build_server(settings, credentials=StaticCredentials(TEST_KEY), transport=fake.transport())
    async with Client(server) as client:
        [listed] = (await client.list_tools()).tools
        result = await client.call_tool("unmute_call", {"instance_id": 7, "user_id": "agent@ccc-test"})
    assert listed.input_schema == published_input_schema(UNMUTE_CALL.arguments_for(settings), settings)
    assert listed.output_schema == UNMUTE_CALL.result.model_json_schema(mode="serialization")
    assert result.structured_content is not None
    error = result.structured_content["error"]
    assert (error["code"], error["params"]) == ("Parameter.Invalid", ["instance_id"])
    assert error["message"] == "The parameter instance_id must be a string, not a number."
    assert fake.seen == []


async def test_middleware_sees_method_params_and_request_and_may_replace_the_result() -> None:
    """MCPServer(middleware=[...]): each request passes through with ctx.method, the raw ctx.params and
    ctx.request (None in memory); tools/list's result comes back as a dict (or a ListToolsResult) that the
    middleware may replace."""
    seen: list[tuple[str, Any, Any, str]] = []

    async def spy(ctx: Any, call_next: Any) -> Any:
        result = await call_next(ctx)
        seen.append((ctx.method, dict(ctx.params or {}), ctx.request, type(result).__name__))
        if ctx.method == "tools/list":
            return {**result, "tools": []} if isinstance(result, dict) else result.model_copy(update={"tools": []})
        return result

    tool = build_mcp_tool(UNMUTE_CALL, Toolset((UNMUTE_CALL,), load_settings()))
    server = MCPServer("pin", tools=[tool], middleware=[spy])
    async with Client(server) as client:
        listed = (await client.list_tools()).tools
    [(_, _, request, kind)] = [entry for entry in seen if entry[0] == "tools/list"]
    assert request is None
    assert kind in ("dict", "ListToolsResult")
    assert listed == [], "the middleware's result is what the client got"
