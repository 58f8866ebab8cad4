"""What a model reads — tool descriptions, input and output schemas, server instructions, error hints —
says exactly one thing, in the model's terms. A model sees nothing but this, so each check here stands for
a way a model tripped: a required argument typed "or null", a field without a meaning, a server setting
it cannot see, a hint naming a tool that is not there.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from ccc_mcp.api.errors import CATALOGUE
from ccc_mcp.config.settings import Settings
from ccc_mcp.tools.registry import TOOLS, tool_names
from tests.fakes import FakeCcc, ccc_error

CONFIGURATIONS = {"no-default-instance": {}, "default-instance": {"instance_id": "ccc-demo"}}
ENVIRONMENT_NAME = re.compile(r"\b(?:CCC|ALIBABA_CLOUD|OTEL)_[A-Z0-9_]+\b")
SETTING_NAMES = {str(field.validation_alias) for field in Settings.model_fields.values()}
MUTATING = [spec.name for spec in TOOLS if not spec.read_only]


def _names_an_environment_variable(text: str) -> list[str]:
    return ENVIRONMENT_NAME.findall(text) + [name for name in SETTING_NAMES if name in text]


def _texts(node: Any) -> Iterator[str]:
    """Every description, title and example string in a schema."""
    if isinstance(node, dict):
        for key, value in node.items():
            if key in ("description", "title") and isinstance(value, str):
                yield value
            yield from _texts(value)
    elif isinstance(node, list):
        for item in node:
            yield from _texts(item)


def _undescribed(schema: dict[str, Any]) -> list[str]:
    """Every property of every object in an output schema ($defs included) that has no description."""
    missing: list[str] = []
    definitions = {"#": schema, **{f"#/$defs/{k}": v for k, v in schema.get("$defs", {}).items()}}
    for where, definition in definitions.items():
        for name, prop in definition.get("properties", {}).items():
            if not prop.get("description"):
                missing.append(f"{where}.{name}")
    return missing


@pytest.fixture(params=list(CONFIGURATIONS), ids=list(CONFIGURATIONS))
def configuration(request: pytest.FixtureRequest) -> dict[str, Any]:
    return dict(CONFIGURATIONS[request.param])


async def _listing(make_client: Callable[..., Any], **settings: Any) -> tuple[list[Any], str]:
    async with make_client("legacy", **settings) as client:  # the handshake era reports instructions
        tools = (await client.list_tools()).tools
        instructions = client.instructions or ""
    return tools, instructions


async def test_no_argument_is_nullable_and_each_has_a_meaning_and_an_example(
    make_client: Callable[..., Any], configuration: dict[str, Any]
) -> None:
    tools, _ = await _listing(make_client, **configuration)
    assert [tool.name for tool in tools] == tool_names()
    for tool in tools:
        schema = tool.input_schema
        for name, prop in schema["properties"].items():
            where = f"{tool.name}.{name}"
            assert "anyOf" not in prop, f"{where} is nullable"
            assert "null" not in str(prop.get("type")), f"{where} is nullable"
            assert "default" not in prop or prop["default"] is not None, f"{where} defaults to null"
            assert prop.get("description"), f"{where} has no description"
            assert prop.get("examples"), f"{where} has no example"
        assert "device_id" not in schema["properties"], f"{tool.name} asks for a value CCC ignores"


async def test_instance_id_says_one_thing_in_each_configuration(
    make_client: Callable[..., Any], configuration: dict[str, Any]
) -> None:
    tools, _ = await _listing(make_client, **configuration)
    for tool in tools:
        instance = tool.input_schema["properties"]["instance_id"]
        required = "instance_id" in tool.input_schema["required"]
        if configuration:
            assert not required
            assert instance["description"].endswith("Optional: defaults to ccc-demo.")
        else:
            assert required
            assert "default" not in instance["description"].lower()


async def test_every_output_field_has_a_meaning(make_client: Callable[..., Any]) -> None:
    tools, _ = await _listing(make_client)
    for tool in tools:
        assert tool.output_schema is not None
        assert _undescribed(tool.output_schema) == [], tool.name


async def test_no_model_facing_text_names_a_server_setting(
    make_client: Callable[..., Any], configuration: dict[str, Any]
) -> None:
    tools, instructions = await _listing(make_client, **configuration)
    texts = [instructions]
    for tool in tools:
        texts += [tool.description or "", tool.title or ""]
        texts += list(_texts(tool.input_schema)) + list(_texts(tool.output_schema))
    texts += [spec.hint for spec in CATALOGUE.values()]
    found = {name for text in texts for name in _names_an_environment_variable(text)}
    assert found == set()


async def test_flags_and_states_list_their_values_and_what_empty_means(make_client: Callable[..., Any]) -> None:
    tools, _ = await _listing(make_client)
    [status] = [tool for tool in tools if tool.name == "get_agent_status"]
    definitions = status.output_schema["$defs"]  # type: ignore[index]
    flags = definitions["ChannelView"]["properties"]["flags"]["description"]
    for word in ("MUTED", "HOLD", "...", "absent: not reported"):
        assert word in flags
    states = definitions["UserView"]["properties"]["user_state"]["description"]
    for word in ("READY", "TALKING", "WORKING", "BREAK", "OFFLINE", "..."):
        assert word in states


async def test_descriptions_route_the_model_to_read_tools(make_client: Callable[..., Any]) -> None:
    tools, instructions = await _listing(make_client)
    described = {tool.name: tool.description or "" for tool in tools}
    for name in MUTATING:
        assert "get_agent_status" in described[name], f"{name} names the read tool that checks its effect"
        assert "list_agents" in described[name], f"{name} says how to find a user_id"
    assert "changes nothing" in described["list_agents"]
    assert "changes nothing" in described["get_agent_status"]
    assert "list_agents" in instructions
    assert "get_agent_status" in instructions


async def test_text_names_only_published_tools(make_client: Callable[..., Any]) -> None:
    tools, instructions = await _listing(make_client, tools="unmute_call")
    [unmute] = tools
    others = set(tool_names()) - {"unmute_call"}
    for text in (unmute.description or "", instructions):
        assert not [name for name in others if name in text]


async def test_hints_name_a_read_tool_only_when_it_is_published(
    make_client: Callable[..., Any], fake_ccc: FakeCcc
) -> None:
    hints = {}
    for selection in ("", "unmute_call"):
        fake_ccc.answer(ccc_error(400, "InvalidOperation.UserState", "m", ["READY", "TALKING"]))
        async with make_client("auto", tools=selection) as client:
            result = await client.call_tool("unmute_call", {"instance_id": "ccc-test", "user_id": "a@ccc-test"})
        hints[selection] = result.structured_content["error"]["hint"]  # type: ignore[index]
    assert "get_agent_status" in hints[""]
    assert "get_agent_status" not in hints["unmute_call"]
    assert "READY" in hints["unmute_call"]
