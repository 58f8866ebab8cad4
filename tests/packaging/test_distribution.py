"""What `pip install .` ships: the wheel holds the `ccc_mcp` package and its metadata, nothing else; the
sdist the package, README and pyproject; one version (`ccc_mcp.__version__`) everywhere. The metadata is what
PyPI, uvx and the MCP registry read: both console scripts, the Python requirement, and the README as the
description, with the registry's `mcp-name:` line in it."""

from __future__ import annotations

import importlib.metadata
import re
import subprocess
import sys
import tarfile
import zipfile
from pathlib import Path

import pytest

import ccc_mcp
from tests.packaging.conftest import assert_release_metadata, wheel_file

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "server" / "ccc_mcp"
SOURCES = sorted(
    [str(p.relative_to(PACKAGE.parent)) for p in PACKAGE.rglob("*.py") if "__pycache__" not in p.parts]
    + ["ccc_mcp/py.typed"]  # PEP 561: the package ships its type hints
    + ["ccc_mcp/tools/schemas.json"]  # the published schemas, read at start-up (tools/schema.py)
)


@pytest.fixture(scope="module")
def dist(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Wheel and sdist, built by the project's build backend (as pip and uv do), without network."""
    out = tmp_path_factory.mktemp("dist")
    done = subprocess.run(
        [sys.executable, "-m", "hatchling", "build", "-d", str(out)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return out


def test_wheel_holds_the_package_and_nothing_else(dist: Path) -> None:
    [wheel] = dist.glob("*.whl")
    assert wheel.name == f"ccc_mcp_server-{ccc_mcp.__version__}-py3-none-any.whl"
    names = zipfile.ZipFile(wheel).namelist()
    info = f"ccc_mcp_server-{ccc_mcp.__version__}.dist-info/"
    assert sorted(name for name in names if not name.startswith(info)) == SOURCES
    assert sorted(name[len(info) :] for name in names if name.startswith(info)) == [
        "METADATA",
        "RECORD",
        "WHEEL",
        "entry_points.txt",
    ]
    assert_release_metadata(wheel)
    assert "Provides-Extra: examples" in wheel_file(wheel, "METADATA")


def test_sdist_holds_the_package_readme_and_pyproject(dist: Path) -> None:
    [sdist] = dist.glob("*.tar.gz")
    top = f"ccc_mcp_server-{ccc_mcp.__version__}/"
    with tarfile.open(sdist) as archive:
        names = sorted(name.removeprefix(top) for name in archive.getnames())
    package = [name for name in names if name.startswith("server/")]
    assert package == sorted(f"server/{name}" for name in SOURCES)
    assert sorted(set(names) - set(package)) == [".gitignore", "PKG-INFO", "README.md", "pyproject.toml"]


@pytest.mark.parametrize("script", ["ccc-mcp", "ccc-mcp-server"])
def test_one_version_everywhere(script: str) -> None:
    assert importlib.metadata.version("ccc-mcp-server") == ccc_mcp.__version__
    path = Path(sys.executable).parent / script
    done = subprocess.run([str(path), "--version"], capture_output=True, text=True, timeout=60, check=True)
    assert done.stdout.strip() == f"ccc-mcp {ccc_mcp.__version__}"


def test_the_changelog_says_what_this_version_changed() -> None:
    changelog = (ROOT / "CHANGELOG.md").read_text()
    sections = re.findall(r"^## (\S+)$", changelog, re.MULTILINE)
    assert sections[0] == ccc_mcp.__version__, "the newest section is the version being released"
    assert len(sections) == len(set(sections))
