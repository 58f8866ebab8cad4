"""The environment of the processes tests start: the caller's, without the developer's own settings, but with
the MCP SDK fast-paths switch, which CI's second pass sets for the whole protocol suite (.ci/run;
docs/architecture.md §4, "Depending on SDK internals")."""

from __future__ import annotations

import os

FAST_PATHS = "CCC_MCP_SDK_FAST_PATHS"


def environment_without(*prefixes: str) -> dict[str, str]:
    """`os.environ` without the variables that start with `prefixes`, the fast-paths switch kept."""
    return {name: value for name, value in os.environ.items() if name == FAST_PATHS or not name.startswith(prefixes)}
