"""On PYTHONPATH, this makes `opentelemetry` unimportable in the process: the cold-start section's
"[otel] hidden" variant measures ccc-mcp as if the `[otel]` extra were not installed, in the same venv."""

from __future__ import annotations

import sys
from collections.abc import Sequence
from importlib.machinery import ModuleSpec
from types import ModuleType


class _HideOpenTelemetry:
    def find_spec(
        self, name: str, path: Sequence[str] | None = None, target: ModuleType | None = None
    ) -> ModuleSpec | None:
        if name == "opentelemetry" or name.startswith("opentelemetry."):
            raise ModuleNotFoundError(f"No module named {name!r} (hidden by the benchmarks)", name=name)
        return None


sys.meta_path.insert(0, _HideOpenTelemetry())
