"""The package's public surface: what each module offers others is its `__all__`, every import across
modules (server, tests, benchmarks, scripts, examples) stays inside those names, nothing private is
borrowed, and the package says it is typed (`py.typed`)."""

from __future__ import annotations

import ast
import importlib
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "server" / "ccc_mcp"
CONSUMERS = ("server", "tests", "benchmarks", "scripts", "examples")


def _imports() -> Iterator[tuple[Path, str, str]]:
    """(file, module, name) for every `from ccc_mcp... import name` in the repository."""
    for folder in CONSUMERS:
        for path in sorted((ROOT / folder).rglob("*.py")):
            for node in ast.walk(ast.parse(path.read_text())):
                if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("ccc_mcp"):
                    for alias in node.names:
                        yield path, node.module, alias.name


def _modules() -> list[str]:
    names = []
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
        names.append(".".join(parts[:-1] if parts[-1] == "__init__" else parts))
    return names


IMPORTS = list(_imports())


def test_nothing_private_is_imported_across_modules() -> None:
    borrowed = [f"{path.relative_to(ROOT)}: {module}.{name}" for path, module, name in IMPORTS if name.startswith("_")
                and name != "__version__"]
    assert borrowed == []


@pytest.mark.parametrize("module", sorted({module for _, module, _ in IMPORTS}))
def test_every_imported_name_is_exported(module: str) -> None:
    loaded = importlib.import_module(module)
    exported = set(getattr(loaded, "__all__", ()))
    subpackage = {name for name in (PACKAGE.parent / module.replace(".", "/")).glob("*")}
    submodules = {path.stem for path in subpackage}
    wanted = {name for _, imported_from, name in IMPORTS if imported_from == module}
    if module == "ccc_mcp":
        exported.add("__version__")
    missing = sorted(name for name in wanted if name not in exported and name not in submodules)
    assert missing == [], f"{module} is imported for names its __all__ does not export"


@pytest.mark.parametrize("module", _modules())
def test_every_exported_name_exists(module: str) -> None:
    loaded = importlib.import_module(module)
    for name in getattr(loaded, "__all__", ()):
        assert getattr(loaded, name, None) is not None or name in dir(loaded), f"{module}.__all__ names {name}"


def test_the_package_is_typed() -> None:
    assert (PACKAGE / "py.typed").exists()
