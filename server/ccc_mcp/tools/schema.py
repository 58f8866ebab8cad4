"""The input schema a tool publishes, generated for the running configuration.

A model reads the schema and nothing else, so it must say exactly one thing: a required argument is a
plain required value (never "string or null, default null"), an optional one is simply not required,
and what an omitted argument defaults to is said in words of this deployment ("defaults to ccc-demo"),
never as a server setting the model cannot see. Validation accepts a little more than the schema shows
(null for an optional argument counts as omitted), so a sloppy but harmless call is not refused.
"""

from __future__ import annotations

import functools
import json
import marshal
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from pydantic import BaseModel

from ccc_mcp.config.settings import Settings
from ccc_mcp.tools.arguments import ToolArguments, requiring_user

if TYPE_CHECKING:
    from ccc_mcp.tools.base import ToolSpec

__all__ = ["STORED_SCHEMAS", "model_schema", "published_input_schema", "stored_schemas", "tool_models"]

# Every tool model's JSON schema, generated ahead by `scripts/gen_docs.py`: generating them at start-up was
# most of what building the server cost before the first tools/list (docs/architecture.md §4). The test
# tests/tools/test_stored_schemas.py fails when this file and the models disagree.
STORED_SCHEMAS = Path(__file__).with_name("schemas.json")

Mode = Literal["validation", "serialization"]


def _key(model: type[BaseModel], mode: Mode) -> str:
    return f"{model.__module__}.{model.__qualname__}/{mode}"


@functools.cache
def _stored() -> dict[str, bytes]:
    """Each stored schema, marshalled: a copy is then one C call (`marshal.loads`), a fifth of copying the
    tree in Python, and each server built (tests build hundreds) gets its own to adjust."""
    try:
        stored: dict[str, Any] = json.loads(STORED_SCHEMAS.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}
    return {key: marshal.dumps(schema) for key, schema in stored.items()}


def model_schema(model: type[BaseModel], mode: Mode = "validation") -> dict[str, Any]:
    """`model`'s JSON schema: the stored one (a copy of it) when there is one for it, else generated now."""
    stored = _stored().get(_key(model, mode))
    if stored is None:
        return _generate(model, mode)
    schema: dict[str, Any] = marshal.loads(stored)  # noqa: S302 (bytes this process marshalled itself, above)
    return schema


def tool_models(specs: Iterable[ToolSpec[Any]]) -> list[tuple[type[BaseModel], Mode]]:
    """Every model a tool publishes a schema of: its arguments (in both forms when it has a user_id) and its
    result."""
    models: list[tuple[type[BaseModel], Mode]] = []
    for spec in specs:
        arguments: type[ToolArguments] = spec.arguments
        models.append((arguments, "validation"))
        if "user_id" in arguments.model_fields:
            models.append((requiring_user(arguments), "validation"))
        models.append((spec.result, "serialization"))
    return models


def stored_schemas(models: Iterable[tuple[type[BaseModel], Mode]]) -> dict[str, Any]:
    """What STORED_SCHEMAS must hold for `models`, generated now (by the docs generator and the test)."""
    return {_key(model, mode): _generate(model, mode) for model, mode in models}


def _generate(model: type[BaseModel], mode: Mode) -> dict[str, Any]:
    """`model`'s schema as published: a result's (serialization) schema in its compact form."""
    schema = model.model_json_schema(mode=mode)
    return compact_output_schema(schema) if mode == "serialization" else schema


def compact_output_schema(schema: dict[str, Any]) -> dict[str, Any]:
    """A result schema as a model reads it, paying for every byte: a field that may be None is optional and
    not nullable (answers leave None out, `sdk_tools.to_tool_result`), and nothing pydantic adds for its own
    purposes stays (titles, null defaults, the models' docstrings: each field's description says it)."""
    definitions: dict[str, Any] = schema.get("$defs", {})
    for definition in definitions.values():
        definition.pop("description", None)
        _compact_object(definition)
    schema.pop("description", None)
    _compact_object(schema)
    return schema


def _compact_object(schema: dict[str, Any]) -> None:
    schema.pop("title", None)
    properties: dict[str, Any] = schema.get("properties", {})
    optional: set[str] = set()
    for name, prop in list(properties.items()):
        if {"type": "null"} in prop.get("anyOf", ()):  # None is left out of answers: the field may be absent
            optional.add(name)
        cleaned = _clean(prop)
        cleaned.pop("default", None)
        properties[name] = cleaned
    required = [name for name in schema.get("required", []) if name not in optional]
    if required:
        schema["required"] = required
    else:
        schema.pop("required", None)


def published_input_schema(model: type[BaseModel], settings: Settings) -> dict[str, Any]:
    """`model`'s JSON schema, cleaned for a model's eyes and adjusted to `settings` (default instance)."""
    schema = model_schema(model)
    schema.pop("title", None)
    schema.pop("description", None)  # the tool's description says it; the class docstring is for us
    properties: dict[str, Any] = schema.get("properties", {})
    for name, prop in list(properties.items()):
        properties[name] = _clean(prop)
    required = [name for name in schema.get("required", []) if name != "instance_id"]
    if "instance_id" in properties:
        if settings.instance_id is None:
            required.insert(0, "instance_id")
        else:
            instance = properties["instance_id"]
            instance["description"] += f" Optional: defaults to {settings.instance_id}."
    if "user_id" in properties and "user_id" not in required:
        properties["user_id"]["description"] += " " + _default_agent(settings)
    schema["required"] = required
    return schema


def _default_agent(settings: Settings) -> str:
    """Who an omitted user_id means, in the model's words."""
    if settings.agent_claim is not None:
        return "Optional: defaults to you (the agent your sign-in names)."
    if (settings.user_id or "").lower() == "ram":
        return "Optional: defaults to the agent linked to this server's credentials."
    return f"Optional: defaults to you, {settings.user_id}."


def _clean(prop: dict[str, Any]) -> dict[str, Any]:
    """One property without the nullable branch, the null default and pydantic's generated title."""
    prop = dict(prop)
    prop.pop("title", None)
    branches = prop.get("anyOf")
    if isinstance(branches, list):
        kept = [branch for branch in branches if branch != {"type": "null"}]
        if len(kept) == 1:
            del prop["anyOf"]
            prop = {**kept[0], **prop}
    if prop.get("default", ...) is None:
        del prop["default"]
    if isinstance(prop.get("items"), dict):
        prop["items"] = _clean(prop["items"])
    return prop
