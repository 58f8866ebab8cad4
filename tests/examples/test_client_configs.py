"""The client config files in examples/: each is parsed as its client would, the server it names is
launched (stdio) or reached (HTTP, with the bearer token it sends), and the tool is called through the MCP
SDK's client."""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import httpx
import httpx2
import pytest
from mcp import Client
from mcp.client.stdio import StdioServerParameters
from mcp.client.streamable_http import streamable_http_client

from tests.examples.conftest import (
    DEMO_INSTANCE,
    EXAMPLES,
    IDLE_AGENT,
    ROOT,
    TALKING_AGENT,
    TOOLS,
    HttpServer,
    clean_environment,
    resolve_command,
    run_example,
)

pytestmark = pytest.mark.e2e

# (file, the key its client reads servers from, protocol mode the client speaks)
STDIO_CONFIGS = [
    ("claude_desktop_config.json", "mcpServers", "legacy"),  # Claude Desktop: 2025-11-25 handshake
    ("cursor/mcp.json", "mcpServers", "auto"),
    ("vscode/mcp.json", "servers", "auto"),
]
HTTP_CONFIGS = [
    ("cursor/mcp.http.json", "mcpServers"),
    ("vscode/mcp.http.json", "servers"),
]
DOCUMENTED_PORT = 8000  # `ccc-mcp serve --transport http`'s default, as the configs say


def server_entry(name: str, key: str) -> dict[str, Any]:
    config = json.loads((EXAMPLES / name).read_text())
    servers = config[key]
    assert list(servers) == ["ccc"], f"{name}: one server, named ccc"
    entry: dict[str, Any] = servers["ccc"]
    return entry


async def exercise(client: Client) -> None:
    """What every client must be able to do: see the tool, unmute, and get a structured error."""
    tools = {tool.name: tool for tool in (await client.list_tools()).tools}
    assert list(tools) == TOOLS
    unmute = tools["unmute_call"]
    assert unmute.annotations is not None
    assert unmute.annotations.idempotent_hint is True

    result = await client.call_tool("unmute_call", {"instance_id": DEMO_INSTANCE, "user_id": TALKING_AGENT})
    out = result.structured_content or {}
    assert not result.is_error, out
    assert out["ok"] is True
    assert out["user_context"]["user_state"] == "TALKING"

    idle = await client.call_tool("unmute_call", {"instance_id": DEMO_INSTANCE, "user_id": IDLE_AGENT})
    assert idle.is_error
    assert (idle.structured_content or {})["error"]["code"] == "InvalidOperation.UserState"


@pytest.mark.parametrize(("name", "key", "mode"), STDIO_CONFIGS, ids=[c[0] for c in STDIO_CONFIGS])
async def test_stdio_config(name: str, key: str, mode: str) -> None:
    entry = server_entry(name, key)
    if key == "servers":
        assert entry["type"] == "stdio", "VS Code needs the transport type"
    assert entry["command"] == "ccc-mcp"
    assert entry["args"] == ["serve", "--simulator"]
    configured_env: dict[str, str] = entry.get("env", {})
    params = StdioServerParameters(
        command=resolve_command(entry["command"]),
        args=entry["args"],
        env={**configured_env, "ALIBABA_CLOUD_ECS_METADATA_DISABLED": "true"},
        cwd=ROOT,
    )
    async with Client(params, mode=mode) as client:
        await exercise(client)


def expand(value: str, config: dict[str, Any], token: str) -> str:
    """Resolve the variables Cursor (`${env:NAME}`) and VS Code (`${input:id}`) put into headers."""

    def substitute(match: re.Match[str]) -> str:
        kind, name = match.group(1), match.group(2)
        if kind == "env":
            assert name == "CCC_MCP_AUTH_TOKEN", "the token comes from the variable the server reads"
            return token
        inputs = {item["id"]: item for item in config.get("inputs", [])}
        assert name in inputs, f"input {name} is declared"
        assert inputs[name]["type"] == "promptString"
        assert inputs[name]["password"] is True
        return token

    expanded = re.sub(r"\$\{(env|input):([^}]+)\}", substitute, value)
    assert "${" not in expanded, f"unresolved variable in {value!r}"
    return expanded


def on_port(url: str, port: int) -> str:
    parts = urlsplit(url)
    assert parts.scheme == "http"
    assert parts.hostname == "127.0.0.1", "loopback, as the server binds by default"
    assert parts.port == DOCUMENTED_PORT
    assert parts.path == "/mcp"
    return urlunsplit(parts._replace(netloc=f"127.0.0.1:{port}"))


@pytest.mark.parametrize(("name", "key"), HTTP_CONFIGS, ids=[c[0] for c in HTTP_CONFIGS])
async def test_http_config(name: str, key: str, http_server: HttpServer) -> None:
    config = json.loads((EXAMPLES / name).read_text())
    entry = server_entry(name, key)
    if key == "servers":
        assert entry["type"] == "http"
    url = on_port(entry["url"], http_server.port)
    headers = {header: expand(value, config, http_server.token) for header, value in entry["headers"].items()}
    assert headers == {"Authorization": f"Bearer {http_server.token}"}

    async with (
        httpx2.AsyncClient(headers=headers, timeout=30) as http,
        Client(streamable_http_client(url, http_client=http)) as client,
    ):
        await exercise(client)


def test_http_server_refuses_requests_without_the_token(http_server: HttpServer) -> None:
    body = {"jsonrpc": "2.0", "id": 1, "method": "tools/list", "params": {}}
    headers = {"accept": "application/json, text/event-stream", "mcp-protocol-version": "2025-11-25"}
    for auth in ({}, {"authorization": "Bearer wrong"}):
        response = httpx.post(f"{http_server.base_url}/mcp", json=body, headers={**headers, **auth}, timeout=10)
        assert response.status_code == 401
        assert response.headers["www-authenticate"].lower().startswith("bearer")


def test_python_client_over_http(http_server: HttpServer) -> None:
    """examples/python_client.py --url against the same server, with the token from the environment."""
    done = run_example(
        [sys.executable, str(EXAMPLES / "python_client.py"), "--url", f"{http_server.base_url}/mcp"],
        CCC_MCP_AUTH_TOKEN=http_server.token,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "Connected over Streamable HTTP" in done.stdout
    assert "(bearer token)" in done.stdout
    assert "-> ok, request_id" in done.stdout
    assert "-> error InvalidOperation.UserState (HTTP 400, retryable: False)" in done.stdout

    refused = run_example(
        [sys.executable, str(EXAMPLES / "python_client.py"), "--url", f"{http_server.base_url}/mcp"],
        CCC_MCP_AUTH_TOKEN="not-the-token",
    )
    assert refused.returncode == 2
    assert "HTTP 401" in refused.stderr
    assert "Traceback" not in refused.stderr


def test_configs_are_the_documented_ones() -> None:
    """Every config file in examples/ is tested here and listed in examples/README.md."""
    tested = {name for name, *_ in STDIO_CONFIGS} | {name for name, _ in HTTP_CONFIGS}
    present = {str(path.relative_to(EXAMPLES)) for path in EXAMPLES.rglob("*.json")}
    assert present == tested
    readme = (EXAMPLES / "README.md").read_text()
    for name in tested:
        assert f"({name})" in readme, f"{name} is linked from examples/README.md"


def test_clean_environment_has_no_secrets(monkeypatch: pytest.MonkeyPatch) -> None:
    # tests/conftest.py already clears ALIBABA_CLOUD_* and CCC_*: plant one of each kind, so that this fails
    # if clean_environment stops removing them.
    planted = {
        "ALIBABA_CLOUD_ACCESS_KEY_ID": "planted-key-id",
        "ALIBABA_CLOUD_ECS_METADATA_DISABLED": "planted-false",
        "CCC_ENDPOINT": "https://planted.example",
        "CCC_MCP_AUTH_TOKEN": "planted-token",
        "OPENAI_API_KEY": "planted-sk",
        "LANGSMITH_API_KEY": "planted-ls",
        "LANGCHAIN_TRACING_V2": "planted-true",
        "PYTHONPATH": "/planted/path",
    }
    for name, value in planted.items():
        monkeypatch.setenv(name, value)
    env = clean_environment()
    assert env["ALIBABA_CLOUD_ECS_METADATA_DISABLED"] == "true"
    assert env["OPENAI_AGENTS_DISABLE_TRACING"] == "1"
    leaked = [name for name in env if name.startswith(("ALIBABA_CLOUD_ACCESS", "CCC_", "OPENAI_", "LANGSMITH_"))]
    assert set(leaked) - {"CCC_MCP_SDK_FAST_PATHS"} == {"OPENAI_AGENTS_DISABLE_TRACING"}, "only CI's switch passes"
    assert not {"LANGCHAIN_TRACING_V2", "PYTHONPATH"} & env.keys()
    assert not set(planted.values()) & set(env.values()), "no planted value survives"
    assert Path(resolve_command("ccc-mcp")).exists()
