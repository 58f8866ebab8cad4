"""The input schema a tool publishes, generated for the running configuration.

A model reads the schema and nothing else, so it must say exactly one thing: a required argument is a
plain required value (never "string or null, default null"), an optional one is simply not required,
and what an omitted argument defaults to is said in words of this deployment ("defaults to ccc-demo"),
never as a server setting the model cannot see. Validation accepts a little more than the schema shows
(null for an optional argument counts as omitted), so a sloppy but harmless call is not refused.
"""

from __future__ import annotations

import copy
from typing import Any

from pydantic import BaseModel

from ccc_mcp.config.settings import Settings

__all__ = ["published_input_schema"]


def published_input_schema(model: type[BaseModel], settings: Settings) -> dict[str, Any]:
    """`model`'s JSON schema, cleaned for a model's eyes and adjusted to `settings` (default instance)."""
    schema = copy.deepcopy(model.model_json_schema())
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
