"""Where the package may touch MCP SDK internals (docs/architecture.md §4, "Depending on SDK internals"):
nothing under server/ imports a private SDK module or name (a fast path looks each up by name, through
`mcpserver.internals`, so an SDK that moved it is a fallback, not an ImportError at start); only
`mcpserver/` names one at all; and every one it names is in the architecture page's list, with its test."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "server" / "ccc_mcp"
SDK_PACKAGES = ("mcp", "mcp_types")
PRIVATE_NAME = re.compile(r"^_[A-Za-z][A-Za-z0-9_]*$")
PRIVATE_MODULE = re.compile(r"^mcp(?:_types)?(?:\.\w+)*\._\w+")
FILES = sorted(PACKAGE.rglob("*.py"))


def _sdk(module: str) -> bool:
    return module.split(".")[0] in SDK_PACKAGES


@pytest.mark.parametrize("path", FILES, ids=lambda path: str(path.relative_to(PACKAGE)))
def test_no_private_sdk_module_or_name_is_imported(path: Path) -> None:
    borrowed = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module and _sdk(node.module):
            borrowed += [f"{node.module}.{alias.name}" for alias in node.names if alias.name.startswith("_")]
            borrowed += [node.module] if any(part.startswith("_") for part in node.module.split(".")) else []
        elif isinstance(node, ast.Import):
            borrowed += [alias.name for alias in node.names if _sdk(alias.name) and "._" in alias.name]
    assert borrowed == []


def _ours() -> set[str]:
    """Private names the package defines itself (functions, classes, attributes, fields): not the SDK's."""
    names: set[str] = set()
    for path in FILES:
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
                names.add(node.name)
            elif isinstance(node, ast.Attribute) and isinstance(node.ctx, ast.Store):
                names.add(node.attr)
            elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
                names.add(node.target.id)
            elif isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
                names.add(node.id)
    return names


def _named_sdk_internals(path: Path, ours: set[str]) -> set[str]:
    """The private SDK modules and names a module spells out as strings (to look them up by name)."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            text = node.value
            if PRIVATE_MODULE.match(text) or (PRIVATE_NAME.match(text) and text not in ours):
                found.add(text)
    return found


def test_only_the_mcpserver_package_names_sdk_internals_and_the_architecture_page_lists_each() -> None:
    ours = _ours()
    page = (ROOT / "docs" / "architecture.md").read_text()
    named = {path: _named_sdk_internals(path, ours) for path in FILES}
    inside = set().union(*(names for path, names in named.items() if path.parent.name == "mcpserver"))
    assert {"_handle_stateless_request", "_serve_legacy_stream", "mcp.server._otel"} <= inside, "the scan sees them"
    outside = {
        str(path.relative_to(PACKAGE)): sorted(name for name in names if name in inside or PRIVATE_MODULE.match(name))
        for path, names in named.items()
        if path.parent.name != "mcpserver"
    }
    assert {path: names for path, names in outside.items() if names} == {}
    unlisted = sorted(name for name in inside if f"`{name}`" not in page)
    assert unlisted == [], "docs/architecture.md §4 lists every SDK internal relied on, with the test that pins it"
