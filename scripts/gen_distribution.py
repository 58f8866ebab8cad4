#!/usr/bin/env python3
"""Generate what installs the server, from one source each (run by scripts/gen_docs.py, checked by its --check):

- server.json: the entry for the official MCP registry (the PyPI package, run with uvx over stdio);
- manifest.json: the MCP Bundle (Claude Desktop's one-click install; a `uv` bundle built by scripts/build_bundle.py);
- README.md's generated blocks: the Claude Desktop and Claude Code configs and the VS Code / Cursor install links.

The sources: pyproject.toml (name, description, Python requirement, the repository address, from which the
registry name io.github.OWNER/NAME is derived), `ccc_mcp.__version__`, the settings model (every CCC_*
variable's description and default), the credential variables of `ccc_mcp.api.credentials`, and the tool
registry (`ccc_mcp.tools.registry.TOOLS`: the bundle's tool list). `VARIABLES` below says which variables an
installer asks for; `launch` is the one command line every client config and link starts.
"""

from __future__ import annotations

import base64
import json
import re
import sys
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode, urlsplit

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "server"))

REGISTRY_SCHEMA = "https://static.modelcontextprotocol.io/schemas/2025-12-11/server.schema.json"
MANIFEST_VERSION = "0.4"  # the MCP Bundle spec version that has `server.type: "uv"`
SERVER_KEY = "ccc"  # the name clients list the server under
BUNDLE_ENTRY_POINT = "server/ccc_mcp/__main__.py"


@dataclass(frozen=True)
class Variable:
    """An environment variable an installer asks the user for."""

    env: str
    key: str  # the bundle's user_config key and the VS Code input's id suffix
    title: str
    example: str  # what the README's configs show in its place
    secret: bool = False
    required: bool = False
    advanced: bool = False  # asked by the registry entry and the bundle, left out of the quick-install links


VARIABLES = (
    Variable("ALIBABA_CLOUD_ACCESS_KEY_ID", "access_key_id", "AccessKey ID", "LTAI…", secret=True, required=True),
    Variable(
        "ALIBABA_CLOUD_ACCESS_KEY_SECRET", "access_key_secret", "AccessKey secret", "…", secret=True, required=True
    ),
    Variable("CCC_INSTANCE_ID", "instance_id", "Default instance", "your-instance-id"),
    Variable("CCC_REGION", "region", "Region", "cn-shanghai"),
    Variable("CCC_USER_ID", "user_id", "Default agent", "agent@your-instance-id"),
    Variable("CCC_ENDPOINT", "endpoint", "Endpoint override", "", advanced=True),
)

CREDENTIAL_TEXT = {
    "ALIBABA_CLOUD_ACCESS_KEY_ID": "AccessKey ID of the RAM user whose key signs the CCC requests (its policy must "
    "allow the CCC actions the tools call).",
    "ALIBABA_CLOUD_ACCESS_KEY_SECRET": "AccessKey secret of that RAM user. Never logged, never in a result.",
}


# --- the sources ---------------------------------------------------------------------------------------------


def project() -> dict[str, Any]:
    data: dict[str, Any] = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    return data


def version() -> str:
    from ccc_mcp import __version__

    return __version__


def repository() -> str:
    url: str = project()["urls"]["Repository"]
    return url


def mcp_name() -> str:
    """io.github.OWNER/NAME, from the repository's GitHub address (the namespace the registry verifies)."""
    owner, name = urlsplit(repository()).path.strip("/").split("/")[:2]
    return f"io.github.{owner}/{name}"


def describe_variable(variable: Variable) -> str:
    """The settings model's description (and default) for a CCC_* variable; ours for the credentials."""
    if variable.env in CREDENTIAL_TEXT:
        return CREDENTIAL_TEXT[variable.env]
    field = _settings_field(variable.env)
    text = str(field.description)
    return f"{text} Default: {field.default}." if field.default is not None else text


def default_of(variable: Variable) -> str | None:
    if variable.env in CREDENTIAL_TEXT:
        return None
    default = _settings_field(variable.env).default
    return None if default is None else str(default)


def _settings_field(env: str) -> Any:
    from ccc_mcp.config.settings import Settings

    for field in Settings.model_fields.values():
        if field.validation_alias == env:
            return field
    raise KeyError(f"{env} is not a setting of ccc_mcp.config.settings.Settings")


def tool_summaries() -> list[dict[str, str]]:
    """Each tool's name and the first paragraph of its description, every tool published."""
    from ccc_mcp.tools.guidance import Guide
    from ccc_mcp.tools.registry import TOOLS, tool_names

    guide = Guide(frozenset(tool_names()))
    return [{"name": spec.name, "description": spec.describe(guide).split("\n\n")[0]} for spec in TOOLS]


# --- server.json (the MCP registry) --------------------------------------------------------------------------


def server_json() -> dict[str, Any]:
    variables = []
    for variable in VARIABLES:
        entry: dict[str, Any] = {
            "name": variable.env,
            "description": describe_variable(variable),
            "isRequired": variable.required,
            "isSecret": variable.secret,
        }
        if (default := default_of(variable)) is not None:
            entry["default"] = default
        variables.append(entry)
    return {
        "$schema": REGISTRY_SCHEMA,
        "name": mcp_name(),
        "title": "Alibaba Cloud Contact Center (CCC)",
        "description": project()["description"],
        "repository": {"url": repository(), "source": "github"},
        "version": version(),
        "packages": [
            {
                "registryType": "pypi",
                "identifier": project()["name"],
                "version": version(),
                "runtimeHint": "uvx",
                "transport": {"type": "stdio"},
                "environmentVariables": variables,
            }
        ],
    }


# --- manifest.json (the MCP Bundle) --------------------------------------------------------------------------


def user_config() -> dict[str, Any]:
    options: dict[str, Any] = {}
    for variable in VARIABLES:
        option: dict[str, Any] = {
            "type": "string",
            "title": variable.title,
            "description": describe_variable(variable),
            "required": variable.required,
        }
        if variable.secret:
            option["sensitive"] = True
        if not variable.required:  # an empty default, not none: the host leaves an unset ${user_config.x} as is
            option["default"] = default_of(variable) or ""
        options[variable.key] = option
    return options


def manifest_json() -> dict[str, Any]:
    meta = project()
    return {
        "manifest_version": MANIFEST_VERSION,
        "name": meta["name"],
        "display_name": "Alibaba Cloud Contact Center (CCC)",
        "version": version(),
        "description": meta["description"],
        "author": {"name": "ccc-mcp-server contributors", "url": repository()},
        "repository": {"type": "git", "url": repository()},
        "homepage": repository(),
        "documentation": f"{repository()}#readme",
        "support": f"{repository()}/issues",
        "license": meta["license"],
        "keywords": meta["keywords"],
        "server": {
            "type": "uv",
            "entry_point": BUNDLE_ENTRY_POINT,
            "mcp_config": {
                # `uv run` in the bundle's directory: the host's uv installs pyproject.toml's dependencies and the
                # package into the bundle's .venv on the first start, then runs the console script.
                "command": "uv",
                "args": ["run", "--directory", "${__dirname}", meta["name"]],
                "env": {variable.env: f"${{user_config.{variable.key}}}" for variable in VARIABLES},
            },
        },
        "tools": tool_summaries(),
        "compatibility": {
            "platforms": ["darwin", "win32", "linux"],
            "runtimes": {"python": meta["requires-python"]},
        },
        "user_config": user_config(),
    }


# --- client configs and install links (README) ---------------------------------------------------------------


def launch(simulator: bool) -> dict[str, Any]:
    """The command line every config and link starts: uvx runs the executable named after the package."""
    return {"command": "uvx", "args": [project()["name"], *(["serve", "--simulator"] if simulator else [])]}


def quick_variables() -> list[Variable]:
    return [variable for variable in VARIABLES if not variable.advanced]


def desktop_config(simulator: bool) -> dict[str, Any]:
    """Claude Desktop's claude_desktop_config.json entry (placeholders where the user's values go)."""
    entry = launch(simulator)
    if not simulator:
        entry["env"] = {variable.env: variable.example for variable in quick_variables()}
    return {"mcpServers": {SERVER_KEY: entry}}


def claude_code_command(simulator: bool) -> str:
    env = [] if simulator else [f"--env {variable.env}={variable.example}" for variable in quick_variables()]
    config = launch(simulator)
    return " ".join(["claude mcp add", *env, SERVER_KEY, "--", config["command"], *config["args"]])


def vscode_config(simulator: bool) -> dict[str, Any]:
    """VS Code's install JSON: the server, its name, and a prompt (password for secrets) per variable."""
    config: dict[str, Any] = {"name": SERVER_KEY, "type": "stdio", **launch(simulator)}
    if not simulator:
        config["env"] = {variable.env: f"${{input:ccc-{variable.key}}}" for variable in quick_variables()}
        config["inputs"] = [prompt(variable) for variable in quick_variables()]
    return config


def prompt(variable: Variable) -> dict[str, Any]:
    """A VS Code input: the user types the value when the server first starts; a secret as a password."""
    return {"type": "promptString", "id": f"ccc-{variable.key}", "description": variable.title,
            "password": variable.secret}  # fmt: skip


def cursor_config(simulator: bool) -> dict[str, Any]:
    """Cursor's mcp.json entry: values come from Cursor's own environment (`${env:NAME}`), never the link."""
    config = launch(simulator)
    if not simulator:
        config["env"] = {variable.env: f"${{env:{variable.env}}}" for variable in quick_variables()}
    return config


def vscode_link(simulator: bool, insiders: bool = False) -> str:
    """https form of `vscode:mcp/install?{json}` (GitHub renders only http(s) links)."""
    scheme = "vscode-insiders" if insiders else "vscode"
    target = f"{scheme}:mcp/install?{quote(compact(vscode_config(simulator)))}"
    return "https://insiders.vscode.dev/redirect?" + urlencode({"url": target}, quote_via=quote)


def cursor_link(simulator: bool) -> str:
    """https form of `cursor://anysphere.cursor-deeplink/mcp/install?name=…&config=<base64 JSON>`."""
    encoded = base64.b64encode(compact(cursor_config(simulator)).encode()).decode()
    return "https://cursor.com/en/install-mcp?" + urlencode({"name": SERVER_KEY, "config": encoded}, quote_via=quote)


def compact(data: object) -> str:
    return json.dumps(data, separators=(",", ":"), ensure_ascii=False)


# --- README.md's generated blocks ------------------------------------------------------------------------------


def _fenced(language: str, text: str) -> str:
    return f"```{language}\n{text}\n```"


def readme_blocks() -> dict[str, str]:
    links = []
    for label, simulator in (("the simulator (no account)", True), ("your CCC (asks for the values)", False)):
        links.append(
            f"| {label} | [VS Code]({vscode_link(simulator)}) · [VS Code Insiders]({vscode_link(simulator, True)}) "
            f"| [Cursor]({cursor_link(simulator)}) |"
        )
    return {
        "claude-desktop": _fenced("json", json.dumps(desktop_config(simulator=False), indent=2, ensure_ascii=False)),
        "claude-code": _fenced(
            "bash",
            f"{claude_code_command(simulator=True)}    # the simulator\n{claude_code_command(simulator=False)}",
        ),
        "install-links": "| installs `uvx ccc-mcp-server` against | VS Code | Cursor |\n|---|---|---|\n"
        + "\n".join(links),
    }


def readme(text: str) -> str:
    """README.md with its mcp-name line and generated blocks rewritten; everything else kept as it is."""
    text, found = re.subn(r"<!-- mcp-name: [^ ]* -->", f"<!-- mcp-name: {mcp_name()} -->", text, count=1)
    if not found:
        raise ValueError("README.md has no `<!-- mcp-name: ... -->` line (the MCP registry's ownership proof)")
    for name, body in readme_blocks().items():
        pattern = re.compile(rf"(<!-- generated:{name} [^\n]*-->\n)(?:.*?\n)?(<!-- /generated:{name} -->)", re.DOTALL)
        text, found = pattern.subn(lambda match, body=body: f"{match.group(1)}{body}\n{match.group(2)}", text)
        if found != 1:
            raise ValueError(f"README.md must have one generated:{name} block")
    return text


def as_text(data: object) -> str:
    return json.dumps(data, indent=2, ensure_ascii=False) + "\n"


def render() -> dict[Path, str]:
    return {
        ROOT / "server.json": as_text(server_json()),
        ROOT / "manifest.json": as_text(manifest_json()),
        ROOT / "README.md": readme((ROOT / "README.md").read_text()),
    }


if __name__ == "__main__":
    rendered = render()
    for path, text in rendered.items():
        path.write_text(text)
    print(f"wrote {', '.join(str(path.relative_to(ROOT)) for path in rendered)}")
