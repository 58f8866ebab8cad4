"""manifest.json, the MCP Bundle Claude Desktop installs, without the bundle CLI (tests/packaging/test_bundle.py
runs the CLI on it in CI): a `uv` bundle of this version that starts the console script, passes the values the
user configures to the variables the server reads, keeps the secrets sensitive, and lists the tools the
server publishes with the registry's own descriptions."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest

import ccc_mcp
from ccc_mcp.api.credentials import ENV_ACCESS_KEY_ID, ENV_ACCESS_KEY_SECRET
from ccc_mcp.config.settings import Settings
from ccc_mcp.tools.guidance import Guide
from ccc_mcp.tools.registry import TOOLS, tool_names
from tests.packaging.conftest import CREDENTIALS, ROOT


@pytest.fixture(scope="module")
def manifest() -> dict[str, Any]:
    data: dict[str, Any] = json.loads((ROOT / "manifest.json").read_text())
    return data


def user_config_of(value: str) -> str:
    match = re.fullmatch(r"\$\{user_config\.([a-z_]+)\}", value)
    assert match, f"{value!r} is not one ${{user_config.key}}"
    return match.group(1)


def test_a_uv_bundle_of_this_version(manifest: dict[str, Any], pyproject: dict[str, Any]) -> None:
    assert manifest["manifest_version"] == "0.4", "server.type uv needs manifest 0.4"
    assert (manifest["name"], manifest["version"]) == (pyproject["name"], ccc_mcp.__version__)
    assert manifest["description"] == pyproject["description"]
    assert manifest["compatibility"]["runtimes"]["python"] == pyproject["requires-python"]
    server = manifest["server"]
    assert server["type"] == "uv"
    assert (ROOT / server["entry_point"]).is_file()


def test_it_starts_the_console_script_with_uv_run(manifest: dict[str, Any], pyproject: dict[str, Any]) -> None:
    config = manifest["server"]["mcp_config"]
    assert config["command"] == "uv"
    assert config["args"] == ["run", "--directory", "${__dirname}", pyproject["name"]]
    assert pyproject["scripts"][pyproject["name"]] == "ccc_mcp.cli:main"


def test_every_configured_value_reaches_a_variable_the_server_reads(manifest: dict[str, Any]) -> None:
    env = manifest["server"]["mcp_config"]["env"]
    settings = {field.validation_alias for field in Settings.model_fields.values()}
    assert set(env) <= settings | CREDENTIALS
    assert sorted(user_config_of(value) for value in env.values()) == sorted(manifest["user_config"])


def test_secrets_are_sensitive_and_required(manifest: dict[str, Any]) -> None:
    env = manifest["server"]["mcp_config"]["env"]
    options = manifest["user_config"]
    for variable, value in env.items():
        option = options[user_config_of(value)]
        assert option.get("sensitive", False) is (variable in CREDENTIALS), (variable, option)
    assert {variable for variable, value in env.items() if options[user_config_of(value)]["required"]} == {
        ENV_ACCESS_KEY_ID,
        ENV_ACCESS_KEY_SECRET,
    }


def test_optional_values_have_a_default(manifest: dict[str, Any]) -> None:
    """A host leaves `${user_config.x}` as it is when x has no value; an empty default makes it "", which the
    server reads as unset (tests/config/test_settings.py)."""
    for key, option in manifest["user_config"].items():
        assert option["required"] or "default" in option, key
    assert manifest["user_config"]["region"]["default"] == Settings.model_fields["region"].default


def test_the_tools_are_the_registrys(manifest: dict[str, Any]) -> None:
    guide = Guide(frozenset(tool_names()))
    expected = [{"name": spec.name, "description": spec.describe(guide).split("\n\n")[0]} for spec in TOOLS]
    assert manifest["tools"] == expected
    assert "tools_generated" not in manifest, "the bundle publishes every tool, no more"
