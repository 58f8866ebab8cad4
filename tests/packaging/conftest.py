"""What the packaging tests share: the repository's generator scripts, the built artifacts CI hands them, and
an empty environment to run those artifacts in.

CI (.ci/run) builds the wheel and sdist with uv (installed from PyPI), runs the demo from the wheel with uvx and
installs a bundle the way a host does (both with the network, filling a uv cache), installs the bundle CLI
from npm, and names them for the tests:

    PACKAGING_DIST       the directory holding the built wheel and sdist
    PACKAGING_UV         the uv executable (uvx beside it)
    PACKAGING_UV_CACHE   the uv cache those steps filled: the tests run uv offline from it
    PACKAGING_MCPB       the mcpb executable of @anthropic-ai/mcpb

Without them the tests that need them skip, except under CI=true, where they fail: CI must run them. By hand,
run the block of .ci/run that sets them, then export them.
"""

from __future__ import annotations

import importlib.util
import json
import os
import sys
import tomllib
import zipfile
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

import ccc_mcp
from ccc_mcp.api.credentials import ENV_ACCESS_KEY_ID, ENV_ACCESS_KEY_SECRET, ENV_SECURITY_TOKEN
from tests.examples.conftest import unavailable

ROOT = Path(__file__).resolve().parents[2]
# The variables that carry a secret: the only ones an installer may store as one, and must.
CREDENTIALS = frozenset({ENV_ACCESS_KEY_ID, ENV_ACCESS_KEY_SECRET, ENV_SECURITY_TOKEN})

# What an empty environment keeps of this one: how to reach the package index (never used: uv runs offline
# here) and the locale. Nothing of the repository, its .venv, or the developer's Alibaba or CCC settings.
KEPT = ("SSL_CERT_FILE", "SSL_CERT_DIR", "LANG", "LC_ALL")


def script(name: str) -> ModuleType:
    """scripts/<name>.py as a module (the repository's scripts are not a package)."""
    spec = importlib.util.spec_from_file_location(name, ROOT / "scripts" / f"{name}.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def artifact(variable: str, what: str) -> Path:
    """The path CI put in `variable`, which must exist; a skip (a failure under CI=true) when unset."""
    value = os.environ.get(variable, "").strip()
    if not value:
        unavailable(f"set {variable} to {what} (see tests/packaging/conftest.py)")
    path = Path(value)
    if not path.exists():
        pytest.fail(f"{variable}={value} does not exist (in CI: did its step in .ci/run fail?)")
    return path


@pytest.fixture(scope="session")
def pyproject() -> dict[str, Any]:
    """pyproject.toml's [project] table."""
    data: dict[str, Any] = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    return data


@pytest.fixture(scope="session")
def built() -> Path:
    return artifact("PACKAGING_DIST", "the directory of the built wheel and sdist")


@pytest.fixture(scope="session")
def wheel(built: Path) -> Path:
    [found] = built.glob("*.whl")
    return found


@pytest.fixture(scope="session")
def sdist(built: Path) -> Path:
    [found] = built.glob("*.tar.gz")
    return found


@pytest.fixture(scope="session")
def uv() -> Path:
    return artifact("PACKAGING_UV", "the uv executable")


@pytest.fixture(scope="session")
def mcpb() -> Path:
    return artifact("PACKAGING_MCPB", "the mcpb executable (npm @anthropic-ai/mcpb)")


@pytest.fixture
def empty_environment(uv: Path, tmp_path: Path) -> dict[str, str]:
    """A user's machine with uv and nothing else: a fresh home and uv's own directories under tmp_path, uv on
    PATH, the cache CI filled and no network (UV_OFFLINE), no interpreter downloads."""
    cache = artifact("PACKAGING_UV_CACHE", "the uv cache the CI steps filled")
    home = tmp_path / "home"
    home.mkdir()
    env = {name: os.environ[name] for name in KEPT if name in os.environ}
    env.update({
        "HOME": str(home),
        "PATH": os.pathsep.join([str(uv.parent), "/usr/local/bin", "/usr/bin", "/bin"]),
        "XDG_CACHE_HOME": str(home / ".cache"), "XDG_DATA_HOME": str(home / ".local/share"),
        "XDG_CONFIG_HOME": str(home / ".config"), "UV_TOOL_DIR": str(home / "uv-tools"),
        "UV_TOOL_BIN_DIR": str(home / ".local/bin"), "UV_PYTHON_INSTALL_DIR": str(home / "uv-python"),
        "UV_CACHE_DIR": str(cache), "UV_OFFLINE": "1", "UV_PYTHON_DOWNLOADS": "never", "UV_NO_CONFIG": "1",
        "ALIBABA_CLOUD_ECS_METADATA_DISABLED": "true",
    })  # fmt: skip
    return env


def wheel_file(wheel: Path, name: str) -> str:
    """A file of the wheel's .dist-info directory."""
    version = wheel.name.split("-")[1]
    return zipfile.ZipFile(wheel).read(f"ccc_mcp_server-{version}.dist-info/{name}").decode()


def assert_release_metadata(wheel: Path) -> None:
    """What uvx, pipx, PyPI and the MCP registry read from a wheel (also run on the wheel CI builds with uv)."""
    entry_points = wheel_file(wheel, "entry_points.txt")
    for script in ("ccc-mcp", "ccc-mcp-server"):  # uvx ccc-mcp-server runs the one named after the package
        assert f"{script} = ccc_mcp.cli:main" in entry_points.splitlines(), entry_points
    metadata = wheel_file(wheel, "METADATA")
    headers, _, description = metadata.partition("\n\n")
    assert "Name: ccc-mcp-server" in headers.splitlines()
    assert f"Version: {ccc_mcp.__version__}" in headers.splitlines()
    assert "Requires-Python: >=3.11" in headers.splitlines()
    assert "Description-Content-Type: text/markdown" in headers.splitlines()
    registry = json.loads((ROOT / "server.json").read_text())["name"]
    assert f"<!-- mcp-name: {registry} -->" in description, "the registry's proof that the package is ours"
    assert description.strip() == (ROOT / "README.md").read_text().strip()
