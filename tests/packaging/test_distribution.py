"""What `pip install .` ships: the wheel holds the `ccc_mcp` package and its metadata, nothing else; the
sdist the package, README and pyproject; one version (`ccc_mcp.__version__`) everywhere."""

from __future__ import annotations

import importlib.metadata
import subprocess
import sys
import tarfile
import zipfile
from pathlib import Path

import pytest

import ccc_mcp

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
    archive = zipfile.ZipFile(wheel)
    entry_points = archive.read(info + "entry_points.txt").decode()
    assert "ccc-mcp = ccc_mcp.cli:main" in entry_points
    metadata = archive.read(info + "METADATA").decode()
    assert f"Version: {ccc_mcp.__version__}\n" in metadata
    assert "Requires-Python: >=3.11" in metadata
    assert "Provides-Extra: examples" in metadata


def test_sdist_holds_the_package_readme_and_pyproject(dist: Path) -> None:
    [sdist] = dist.glob("*.tar.gz")
    top = f"ccc_mcp_server-{ccc_mcp.__version__}/"
    with tarfile.open(sdist) as archive:
        names = sorted(name.removeprefix(top) for name in archive.getnames())
    package = [name for name in names if name.startswith("server/")]
    assert package == sorted(f"server/{name}" for name in SOURCES)
    assert sorted(set(names) - set(package)) == [".gitignore", "PKG-INFO", "README.md", "pyproject.toml"]


def test_one_version_everywhere() -> None:
    assert importlib.metadata.version("ccc-mcp-server") == ccc_mcp.__version__
    script = Path(sys.executable).parent / "ccc-mcp"
    done = subprocess.run([str(script), "--version"], capture_output=True, text=True, timeout=60, check=True)
    assert done.stdout.strip() == f"ccc-mcp {ccc_mcp.__version__}"
