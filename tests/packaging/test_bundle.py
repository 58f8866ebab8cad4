"""The Claude Desktop bundle, through the official bundle CLI (npm @anthropic-ai/mcpb) and started the way a
host starts it: `mcpb validate` accepts manifest.json, scripts/build_bundle.py packs the released sdist with
it, `mcpb unpack` opens the `.mcpb`, the CLI's own `getMcpConfigForManifest` (what a host calls) turns the
manifest and the user's configuration into a command line, and that command line (`uv run` in the bundle)
serves the tools to an MCP client against the simulator. Needs PACKAGING_MCPB, PACKAGING_DIST, PACKAGING_UV
and PACKAGING_UV_CACHE (tests/packaging/conftest.py)."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import pytest
from mcp import Client
from mcp.client.stdio import StdioServerParameters

from ccc_mcp.simulator import running_simulator
from ccc_mcp.tools.registry import tool_names
from tests.packaging.conftest import ROOT, script

pytestmark = pytest.mark.e2e

# A host resolves the manifest's mcp_config with the user's configuration: this is the bundle CLI's own code.
RESOLVE = """
const [pkg, dir, userConfig] = process.argv.slice(1);
const { getMcpConfigForManifest } = await import(pkg + "/dist/index.js");
const { readFileSync } = await import("node:fs");
const manifest = JSON.parse(readFileSync(dir + "/manifest.json", "utf8"));
const config = await getMcpConfigForManifest({
  manifest, extensionPath: dir, systemDirs: {}, userConfig: JSON.parse(userConfig), pathSeparator: "/",
});
process.stdout.write(JSON.stringify(config ?? null));
"""


def cli_package(mcpb: Path) -> Path:
    """The @anthropic-ai/mcpb package directory behind its `mcpb` executable."""
    for directory in mcpb.resolve().parents:
        package = directory / "package.json"
        if package.exists() and json.loads(package.read_text()).get("name") == "@anthropic-ai/mcpb":
            return directory
    raise AssertionError(f"{mcpb} is not the bin of @anthropic-ai/mcpb")


def run(argv: list[str], **options: Any) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(argv, capture_output=True, text=True, timeout=300, check=False, **options)
    assert done.returncode == 0, f"{argv}\n{done.stdout}\n{done.stderr}"
    return done


def host_config(mcpb: Path, bundle: Path, user_config: dict[str, str]) -> dict[str, Any]:
    done = run(["node", "--input-type=module", "-e", RESOLVE, str(cli_package(mcpb)), str(bundle),
                json.dumps(user_config)])  # fmt: skip
    config: dict[str, Any] | None = json.loads(done.stdout)
    assert config is not None, "the CLI found required configuration missing"
    return config


def test_the_bundle_cli_accepts_the_manifest(mcpb: Path) -> None:
    done = run([str(mcpb), "validate", str(ROOT / "manifest.json")])
    assert "Manifest schema validation passes" in done.stdout


async def test_the_packed_bundle_starts_as_its_manifest_says(
    mcpb: Path, sdist: Path, empty_environment: dict[str, str], tmp_path: Path
) -> None:
    build = script("build_bundle")
    packed = build.pack(build.stage(sdist, tmp_path / "tree"), tmp_path, [str(mcpb)])
    installed = tmp_path / "installed"  # where a host unpacks it
    run([str(mcpb), "unpack", str(packed), str(installed)])
    manifest = json.loads((installed / "manifest.json").read_text())
    assert (installed / manifest["server"]["entry_point"]).is_file()

    async with running_simulator() as sim:
        user_config = {  # what the user types into the host's form; region and agent keep their defaults
            "access_key_id": sim.access_key_id, "access_key_secret": sim.access_key_secret,
            "instance_id": "ccc-demo", "endpoint": sim.endpoint,
        }  # fmt: skip
        config = host_config(mcpb, installed, user_config)
        assert config["command"] == "uv", "the host's uv; here the one on the empty environment's PATH"
        params = StdioServerParameters(
            command=config["command"],
            args=config["args"],
            env={**empty_environment, **config["env"]},
            cwd=tmp_path,
        )
        async with Client(params) as client:
            tools = (await client.list_tools()).tools
            assert [tool.name for tool in tools] == [tool["name"] for tool in manifest["tools"]] == tool_names()
            result = await client.call_tool("list_agents", {"query": "8001"})  # the configured instance
            assert not result.is_error, result.structured_content
            assert [agent["user_id"] for agent in (result.structured_content or {})["agents"]] == ["agent@ccc-demo"]
