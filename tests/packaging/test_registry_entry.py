"""server.json, the entry for the official MCP registry, says what users actually run, the way the registry
requires it: the PyPI package at this very version, started by uvx over stdio, with the environment it reads
(credentials marked secret). The rules are the registry's (schema 2025-12-11 and its publishing checks); the
facts are the project's own (pyproject.toml, `ccc_mcp.__version__`, the settings model, the README)."""

from __future__ import annotations

import json
import re
from typing import Any

import jsonschema
import pytest

import ccc_mcp
from ccc_mcp.api.credentials import ENV_ACCESS_KEY_ID, ENV_ACCESS_KEY_SECRET
from ccc_mcp.config.settings import Settings
from tests.packaging.conftest import CREDENTIALS, ROOT

# A version range or a tag instead of one exact version: the registry refuses them.
NOT_EXACT = re.compile(r"[\^~<>=*,|\s]|^latest$|(^|\.)[xX](\.|$)")

# The part of the registry's server.json schema (2025-12-11) this entry uses, with its limits; unknown fields
# are refused here so that a typo cannot pass as an optional field.
VARIABLE = {
    "type": "object",
    "required": ["name", "description", "isRequired", "isSecret"],
    "additionalProperties": False,
    "properties": {
        "name": {"type": "string", "pattern": "^[A-Z][A-Z0-9_]*$"},
        "description": {"type": "string", "minLength": 1},
        "isRequired": {"type": "boolean"},
        "isSecret": {"type": "boolean"},
        "default": {"type": "string"},
    },
}
SCHEMA = {
    "type": "object",
    "required": ["$schema", "name", "description", "version", "packages"],
    "additionalProperties": False,
    "properties": {
        "$schema": {"const": "https://static.modelcontextprotocol.io/schemas/2025-12-11/server.schema.json"},
        "name": {"type": "string", "pattern": r"^[a-zA-Z0-9.-]+/[a-zA-Z0-9._-]+$", "minLength": 3, "maxLength": 200},
        "title": {"type": "string", "minLength": 1, "maxLength": 100},
        "description": {"type": "string", "minLength": 1, "maxLength": 100},
        "version": {"type": "string", "minLength": 1, "maxLength": 255},
        "repository": {
            "type": "object",
            "required": ["url", "source"],
            "additionalProperties": False,
            "properties": {"url": {"type": "string", "format": "uri"}, "source": {"const": "github"}},
        },
        "packages": {
            "type": "array",
            "minItems": 1,
            "items": {
                "type": "object",
                "required": ["registryType", "identifier", "version", "transport"],
                "additionalProperties": False,
                "properties": {
                    "registryType": {"const": "pypi"},
                    "identifier": {"type": "string", "minLength": 1},
                    "version": {"type": "string", "minLength": 1},
                    "runtimeHint": {"const": "uvx"},
                    "transport": {"const": {"type": "stdio"}},
                    "environmentVariables": {"type": "array", "items": VARIABLE},
                },
            },
        },
    },
}


@pytest.fixture(scope="module")
def entry() -> dict[str, Any]:
    data: dict[str, Any] = json.loads((ROOT / "server.json").read_text())
    return data


def variables(entry: dict[str, Any]) -> list[dict[str, Any]]:
    [package] = entry["packages"]
    found: list[dict[str, Any]] = package["environmentVariables"]
    return found


def test_it_follows_the_registry_schema(entry: dict[str, Any]) -> None:
    jsonschema.validate(entry, SCHEMA)
    for version in (entry["version"], *(package["version"] for package in entry["packages"])):
        assert not NOT_EXACT.search(version), f"{version!r} is not one exact version"
    assert all("registryBaseUrl" not in package for package in entry["packages"]), "PyPI is the default"


def test_it_is_the_package_at_this_version(entry: dict[str, Any], pyproject: dict[str, Any]) -> None:
    [package] = entry["packages"]
    assert entry["version"] == package["version"] == ccc_mcp.__version__
    assert package["identifier"] == pyproject["name"]
    assert pyproject["name"] in pyproject["scripts"], "uvx runs the executable named after the package"
    assert entry["description"] == pyproject["description"]


def test_its_name_is_the_one_the_readme_proves(entry: dict[str, Any], pyproject: dict[str, Any]) -> None:
    """The registry accepts a PyPI package for io.github.OWNER/NAME only if the package's description (the
    README) carries `mcp-name: io.github.OWNER/NAME`; the name comes from the repository's address."""
    owner, repo = pyproject["urls"]["Repository"].removeprefix("https://github.com/").split("/")
    assert entry["name"] == f"io.github.{owner}/{repo}"
    assert entry["repository"]["url"] == pyproject["urls"]["Repository"]
    readme = (ROOT / "README.md").read_text()
    assert re.findall(r"mcp-name: (\S+)", readme) == [entry["name"]]


def test_every_variable_is_one_the_server_reads(entry: dict[str, Any]) -> None:
    settings = {field.validation_alias for field in Settings.model_fields.values()}
    for variable in variables(entry):
        assert variable["name"] in settings | CREDENTIALS, variable["name"]
    assert len({variable["name"] for variable in variables(entry)}) == len(variables(entry))


def test_credentials_and_only_credentials_are_secret(entry: dict[str, Any]) -> None:
    for variable in variables(entry):
        assert variable["isSecret"] is (variable["name"] in CREDENTIALS), variable
    assert {variable["name"] for variable in variables(entry) if variable["isRequired"]} == {
        ENV_ACCESS_KEY_ID,
        ENV_ACCESS_KEY_SECRET,
    }, "the AccessKey pair is what a registry install must ask for; everything else has a default"


def test_optional_variables_are_the_settings_an_installer_asks_for(entry: dict[str, Any]) -> None:
    optional = {variable["name"] for variable in variables(entry) if not variable["isRequired"]}
    assert {"CCC_INSTANCE_ID", "CCC_USER_ID", "CCC_REGION"} <= optional
    defaults = {variable["name"]: variable.get("default") for variable in variables(entry)}
    assert defaults["CCC_REGION"] == Settings.model_fields["region"].default


def test_every_variable_is_documented(entry: dict[str, Any]) -> None:
    """Each variable is explained where users look: the README's install configs or configuration table."""
    readme = (ROOT / "README.md").read_text()
    configuration = (ROOT / "docs" / "configuration.md").read_text()
    for variable in variables(entry):
        assert f"`{variable['name']}`" in readme + configuration or f'"{variable["name"]}"' in readme, variable
