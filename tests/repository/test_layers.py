"""Dependencies point one way (docs/architecture.md §1): each layer imports only the layers below it, the
CCC client knows nothing of MCP, and the simulator shares only signing with the client. An import that
points back fails here, lazy (inside a function) or not."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[2] / "server" / "ccc_mcp"

# layer -> what it may import (besides itself and the package root's __version__)
ALLOWED: dict[str, set[str]] = {
    "net": set(),
    "config": {"net"},
    "api": {"net", "config"},
    "policy": {"api", "config", "net"},
    "telemetry": {"api", "config", "net"},  # beside policy: fed by the client's on_attempt, never imported by api
    "tools": {"telemetry", "policy", "api", "config", "net"},
    "mcpserver": {"telemetry", "tools", "policy", "api", "config", "net"},
    "transports": {"telemetry", "mcpserver", "tools", "policy", "api", "config", "net"},
    "simulator": {"api.signing", "config", "net"},
    "commands": {"transports", "mcpserver", "telemetry", "tools", "policy", "api", "config", "net", "simulator"},
    "cli": {"commands", "config", "tools"},
    "__main__": {"cli"},
}
MCP_FREE = {"net", "config", "api", "simulator", "telemetry"}  # layers that must not import the MCP SDK at all


def _layer(path: Path) -> str:
    relative = path.relative_to(PACKAGE)
    return relative.parts[0] if len(relative.parts) > 1 else relative.stem


def _imports(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
        elif isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
    return names


FILES = sorted(path for path in PACKAGE.rglob("*.py") if _layer(path) != "__init__")


@pytest.mark.parametrize("path", FILES, ids=lambda path: str(path.relative_to(PACKAGE)))
def test_imports_point_down_the_layers(path: Path) -> None:
    layer = _layer(path)
    allowed = ALLOWED[layer] | {layer}
    wrong = []
    for module in _imports(path):
        if not module.startswith("ccc_mcp.") or module == "ccc_mcp":
            continue
        target = module.removeprefix("ccc_mcp.")
        if not any(target == ok or target.startswith(f"{ok}.") for ok in allowed):
            wrong.append(module)
    assert wrong == [], f"{layer} may not import {wrong}"


@pytest.mark.parametrize("path", [p for p in FILES if _layer(p) in MCP_FREE], ids=lambda p: str(p.relative_to(PACKAGE)))
def test_the_client_config_and_simulator_know_nothing_of_mcp(path: Path) -> None:
    assert not [m for m in _imports(path) if m == "mcp" or m.startswith(("mcp.", "mcp_types"))]
