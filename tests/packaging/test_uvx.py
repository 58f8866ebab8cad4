"""The built wheel, run the way users run it: `uvx --from <wheel> ccc-mcp-server …` in an empty environment
(a fresh home, no repository, no virtual environment, uv offline from the cache CI filled), driven over
stdio by the MCP SDK's client. CI also runs the demo this way (.ci/run). Needs PACKAGING_DIST, PACKAGING_UV and
PACKAGING_UV_CACHE (tests/packaging/conftest.py)."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from mcp import Client
from mcp.client.stdio import StdioServerParameters

import ccc_mcp
from ccc_mcp.tools.registry import tool_names
from tests.packaging.conftest import assert_release_metadata

pytestmark = pytest.mark.e2e


def uvx(uv: Path) -> str:
    return str(uv.with_name("uvx"))


def test_the_wheel_carries_what_uvx_and_the_registry_read(wheel: Path) -> None:
    assert wheel.name == f"ccc_mcp_server-{ccc_mcp.__version__}-py3-none-any.whl"
    assert_release_metadata(wheel)


def test_uvx_runs_the_script_named_after_the_package(
    uv: Path, wheel: Path, empty_environment: dict[str, str], tmp_path: Path
) -> None:
    done = subprocess.run(
        [uvx(uv), "--from", str(wheel), "ccc-mcp-server", "--version"],
        cwd=tmp_path, env=empty_environment, capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert done.stdout == f"ccc-mcp {ccc_mcp.__version__}\n", "uv writes its own progress to stderr only"


async def test_uvx_serves_stdio_to_an_mcp_client(
    uv: Path, wheel: Path, empty_environment: dict[str, str], tmp_path: Path
) -> None:
    params = StdioServerParameters(
        command=uvx(uv),
        args=["--from", str(wheel), "ccc-mcp-server", "serve", "--simulator"],
        env=empty_environment,
        cwd=tmp_path,
    )
    async with Client(params) as client:
        assert [tool.name for tool in (await client.list_tools()).tools] == tool_names()
        result = await client.call_tool("unmute_call", {"instance_id": "ccc-demo", "user_id": "agent@ccc-demo"})
        assert not result.is_error, result.structured_content
        assert (result.structured_content or {})["ok"] is True
