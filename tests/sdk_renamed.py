"""`python tests/sdk_renamed.py NAME[,NAME...] -- ccc-mcp arguments...`: `ccc-mcp` on the installed MCP SDK as a
release that renamed NAME would be: every module of the `mcp` and `mcp_types` packages whose source says
NAME is loaded from that source with NAME renamed throughout, definitions and uses alike. The SDK stays whole
(its own code follows the rename, as a real release's would); only code that reaches for NAME from outside,
as our fast paths do, finds it gone. Used by tests/e2e/test_sdk_internals.py, in a child process since the
fast paths check their internals when the server starts.
"""

from __future__ import annotations

import importlib.abc
import importlib.machinery
import os
import re
import sys
from collections.abc import Sequence
from types import CodeType, ModuleType

PACKAGES = ("mcp", "mcp_types")
SUFFIX = "_renamed_by_test"


class _RenamingLoader(importlib.machinery.SourceFileLoader):
    """Compiles a module from its source with the names renamed; writes no bytecode."""

    def __init__(self, fullname: str, path: str, pattern: re.Pattern[str]) -> None:
        super().__init__(fullname, path)
        self.pattern = pattern

    def get_code(self, fullname: str) -> CodeType:
        source = self.get_data(self.path).decode("utf-8")
        renamed = self.pattern.sub(lambda match: match.group(0) + SUFFIX, source)
        return compile(renamed, self.path, "exec", dont_inherit=True)


class _RenamingFinder(importlib.abc.MetaPathFinder):
    def __init__(self, names: Sequence[str]) -> None:
        self.pattern = re.compile(r"\b(?:" + "|".join(re.escape(name) for name in names) + r")\b")

    def find_spec(
        self, fullname: str, path: Sequence[str] | None, target: ModuleType | None = None
    ) -> importlib.machinery.ModuleSpec | None:
        if fullname.split(".")[0] not in PACKAGES:
            return None
        spec = importlib.machinery.PathFinder.find_spec(fullname, path)
        if spec is None or not isinstance(spec.loader, importlib.machinery.SourceFileLoader) or spec.origin is None:
            return spec
        with open(spec.origin, encoding="utf-8") as source:
            if not self.pattern.search(source.read()):
                return spec
        loader = _RenamingLoader(fullname, spec.origin, self.pattern)
        return importlib.machinery.ModuleSpec(
            fullname, loader, origin=spec.origin, is_package=spec.submodule_search_locations is not None
        )


def main() -> None:
    if sys.path and os.path.realpath(sys.path[0]) == os.path.dirname(os.path.realpath(__file__)):
        del sys.path[0]  # run as a script: tests/ would shadow libraries (tests/packaging hides `packaging`)
    names, separator, *argv = sys.argv[1:]
    assert separator == "--", "usage: sdk_renamed.py NAME[,NAME...] -- ccc-mcp arguments..."
    assert not any(module.split(".")[0] in PACKAGES for module in sys.modules), "the SDK was imported already"
    sys.meta_path.insert(0, _RenamingFinder(names.split(",")))
    from ccc_mcp.cli import main as ccc_mcp

    ccc_mcp(argv)


if __name__ == "__main__":
    main()
