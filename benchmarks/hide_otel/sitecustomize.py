"""On PYTHONPATH, this hides what the `[otel]` extra installs (the OpenTelemetry SDK, its exporters and
their protobuf and semantic-convention packages) from the process: the cold-start section's "[otel] hidden"
variant measures ccc-mcp as if the extra were not installed, in the same venv. opentelemetry-api stays
importable: the MCP SDK itself requires it."""

from __future__ import annotations

import sys
from collections.abc import Sequence
from importlib.machinery import ModuleSpec
from types import ModuleType

HIDDEN = ("opentelemetry.sdk", "opentelemetry.semconv", "opentelemetry.exporter", "opentelemetry.proto",
          "opentelemetry.instrumentation")  # fmt: skip
_BELOW = tuple(f"{name}." for name in HIDDEN)


class _HideOtelExtra:
    def find_spec(
        self, name: str, path: Sequence[str] | None = None, target: ModuleType | None = None
    ) -> ModuleSpec | None:
        if name in HIDDEN or name.startswith(_BELOW):
            raise ModuleNotFoundError(f"No module named {name!r} (hidden by the benchmarks)", name=name)
        return None


sys.meta_path.insert(0, _HideOtelExtra())
