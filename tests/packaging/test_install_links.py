"""The README's Install section, as each client would read it: the VS Code and Cursor links are decoded, the
Claude Desktop config parsed, the `claude mcp add` lines split, and what each says to run is started and
asked for its tools. The command is `uvx ccc-mcp-server …`; uvx runs the package's executable of the same name,
so here that executable of this environment stands in for it (tests/packaging/test_uvx.py runs uvx itself).

The links and configs are generated from one source (scripts/gen_distribution.py); this test reads the README,
what users see, and holds every form to the same two launches: the simulator, and your CCC with the values
the client asks for."""

from __future__ import annotations

import base64
import itertools
import json
import os
import re
import shlex
import sys
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

import pytest
from mcp import Client
from mcp.client.stdio import StdioServerParameters

from ccc_mcp.api.credentials import ENV_ACCESS_KEY_ID, ENV_ACCESS_KEY_SECRET
from ccc_mcp.simulator import running_simulator
from ccc_mcp.tools.registry import tool_names
from tests.packaging.conftest import ROOT

pytestmark = pytest.mark.e2e

PACKAGE = "ccc-mcp-server"
SECRETS = {ENV_ACCESS_KEY_ID, ENV_ACCESS_KEY_SECRET}
DEMO = {"CCC_INSTANCE_ID": "ccc-demo", "CCC_REGION": "cn-shanghai", "CCC_USER_ID": "agent@ccc-demo"}


def block(name: str) -> str:
    text = (ROOT / "README.md").read_text()
    match = re.search(rf"<!-- generated:{name} [^\n]*-->\n(.*?)<!-- /generated:{name} -->", text, re.DOTALL)
    assert match, f"README.md has a generated:{name} block"
    return match.group(1)


def vscode(link: str) -> dict[str, Any]:
    """`https://insiders.vscode.dev/redirect?url=vscode:mcp/install?<JSON>`: the server VS Code installs, its
    variables resolved from the inputs it declares (a prompt per value, a password prompt for a secret)."""
    target = parse_qs(urlsplit(link).query)["url"][0]
    scheme, _, rest = target.partition(":")
    assert scheme in ("vscode", "vscode-insiders")
    assert rest.startswith("mcp/install?")
    config: dict[str, Any] = json.loads(unquote(rest.removeprefix("mcp/install?")))
    assert (config.pop("name"), config.pop("type")) == ("ccc", "stdio")
    inputs = {item["id"]: item for item in config.pop("inputs", [])}
    for variable, value in config.get("env", {}).items():
        match = re.fullmatch(r"\$\{input:([^}]+)\}", value)
        assert match, f"{variable}: {value!r} is not a declared input"
        assert inputs.pop(match.group(1))["password"] is (variable in SECRETS), variable
    assert not inputs, "every declared input is used"
    return config


def cursor(link: str) -> dict[str, Any]:
    """`https://cursor.com/en/install-mcp?name=ccc&config=<base64 JSON>`: values from Cursor's environment."""
    query = parse_qs(urlsplit(link).query)
    assert query["name"] == ["ccc"]
    config: dict[str, Any] = json.loads(base64.b64decode(query["config"][0]))
    for variable, value in config.get("env", {}).items():
        assert value == f"${{env:{variable}}}", "the value comes from Cursor's environment, never the link"
    return config


def decoded_links() -> list[dict[str, Any]]:
    links = re.findall(r"\]\((https://[^)]+)\)", block("install-links"))
    assert len(links) == 6, links  # VS Code, VS Code Insiders and Cursor; for the simulator and for your CCC
    return [vscode(link) if "vscode.dev" in link else cursor(link) for link in links]


def claude_desktop() -> list[dict[str, Any]]:
    fenced = re.fullmatch(r"```json\n(.*)\n```\n", block("claude-desktop"), re.DOTALL)
    assert fenced
    config: dict[str, Any] = json.loads(fenced.group(1))["mcpServers"]["ccc"]
    return [config]


def claude_code() -> list[dict[str, Any]]:
    configs = []
    for line in block("claude-code").splitlines():
        if not line.startswith("claude mcp add "):
            continue
        words = shlex.split(line, comments=True)
        before, after = words[: words.index("--")], words[words.index("--") + 1 :]
        env = dict(value.split("=", 1) for flag, value in itertools.pairwise(before) if flag == "--env")
        assert before[-1] == "ccc"
        configs.append({"command": after[0], "args": after[1:], **({"env": env} if env else {})})
    assert len(configs) == 2
    return configs


def every_config() -> list[dict[str, Any]]:
    return decoded_links() + claude_desktop() + claude_code()


def launch(config: dict[str, Any], simulator_values: dict[str, str]) -> tuple[list[str], dict[str, str]]:
    """What the config starts, here: `uvx ccc-mcp-server ARGS` is this environment's `ccc-mcp-server ARGS`; each
    variable gets the value a user would give (the simulator's demo key, instance and agent)."""
    assert config["command"] == "uvx"
    assert config["args"][0] == PACKAGE, "uvx runs the executable named after the package"
    executable = str(Path(sys.executable).parent / PACKAGE)
    env = {variable: simulator_values[variable] for variable in config.get("env", {})}
    return [executable, *config["args"][1:]], env


def test_every_form_is_one_of_two_launches() -> None:
    forms = {json.dumps([config["args"], sorted(config.get("env", {}))]) for config in every_config()}
    assert forms == {
        json.dumps([[PACKAGE, "serve", "--simulator"], []]),
        json.dumps([[PACKAGE], sorted([ENV_ACCESS_KEY_ID, ENV_ACCESS_KEY_SECRET, *DEMO])]),
    }


# (the simulator?, how many forms start it): VS Code, VS Code Insiders, Cursor and Claude Code for both, and the
# Claude Desktop config for your CCC.
@pytest.mark.parametrize(("simulated", "forms"), [(True, 4), (False, 5)], ids=["the simulator", "your CCC"])
async def test_each_link_and_config_starts_the_server(simulated: bool, forms: int) -> None:
    configs = [config for config in every_config() if ("--simulator" in config["args"]) is simulated]
    async with running_simulator() as sim:
        values = {ENV_ACCESS_KEY_ID: sim.access_key_id, ENV_ACCESS_KEY_SECRET: sim.access_key_secret, **DEMO}
        launches = {json.dumps(launch(config, values)) for config in configs}
        assert len(configs) == forms
        assert len(launches) == 1, "each client's form starts the same server"
        argv, env = json.loads(launches.pop())
        # The client's own environment: no Alibaba settings of the developer's, and (for your CCC) the CCC
        # endpoint, here the loopback simulator's.
        env.update({"ALIBABA_CLOUD_ECS_METADATA_DISABLED": "true", "PATH": os.environ["PATH"]})
        if not simulated:
            env["CCC_ENDPOINT"] = sim.endpoint
        params = StdioServerParameters(command=argv[0], args=argv[1:], env=env, cwd=ROOT)
        async with Client(params) as client:
            assert [tool.name for tool in (await client.list_tools()).tools] == tool_names()
            # The configured instance and default agent reach the server: the call names neither.
            arguments = {"instance_id": "ccc-demo", "user_id": "agent@ccc-demo"} if simulated else {}
            result = await client.call_tool("get_agent_status", arguments)
            assert not result.is_error, result.structured_content
            assert (result.structured_content or {})["user_context"]["user_id"] == "agent@ccc-demo"
