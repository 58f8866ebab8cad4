"""Runs `ccc-mcp` as if the [otel] extra were not installed: an import hook, installed before anything
else, refuses the extra's modules exactly as Python refuses a module that is not there. Test harness only:
`python tests/telemetry/hide_extra.py serve ...`."""

from __future__ import annotations

import sys
from collections.abc import Sequence
from importlib.machinery import ModuleSpec
from types import ModuleType

HIDDEN = ("opentelemetry.sdk", "opentelemetry.exporter", "prometheus_client")


class NotInstalled:
    @staticmethod
    def find_spec(name: str, path: Sequence[str] | None = None, target: ModuleType | None = None) -> ModuleSpec | None:
        if name.startswith(HIDDEN):
            raise ModuleNotFoundError(f"No module named {name!r}", name=name)
        return None


if __name__ == "__main__":
    sys.meta_path.insert(0, NotInstalled())
    from ccc_mcp.cli import main

    main(sys.argv[1:])
