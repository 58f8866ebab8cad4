"""Building the call path's pydantic models once the server is idle, not before its first `tools/list`.

The wire models (`api/models.py`), `ApiResult`, the tools' arguments and results are declared with
`defer_build=True`: building their validators and serializers was about a fifth of what ccc-mcp's start
cost beyond the bare SDK's, and nothing before the first `tools/list` needs them, since the published
schemas are stored (`tools/schemas.json`) and only the models' fields are read (docs/architecture.md §4,
"Cold start"). Left alone, the first `tools/call` would build them. `build_when_idle` builds them after
the first listing instead, one model per turn of the event loop, so an answer being written or a request
that arrives waits at most for one model. The client's own modules (`api.client`, `api.answers` with
`ApiResult`), which only a call imports, are imported on the first of those turns.
"""

from __future__ import annotations

import asyncio
import importlib
from collections.abc import Iterator

from pydantic import BaseModel

__all__ = ["CALL_PATH", "CALL_PATH_MODULES", "build_when_idle", "pending_models"]

CALL_PATH = ("ccc_mcp.api.", "ccc_mcp.tools.")
"""The packages whose models a tool call uses: the client's wire models, the tools' arguments and results."""

CALL_PATH_MODULES = ("ccc_mcp.api.client",)
"""Modules a tool call imports that a server's start does not (`AppState.client` makes the client)."""


def _subclasses(model: type[BaseModel]) -> Iterator[type[BaseModel]]:
    for subclass in model.__subclasses__():
        yield subclass
        yield from _subclasses(subclass)


def pending_models() -> list[type[BaseModel]]:
    """The models of the call path not built yet, each once. Models created at run time count too:
    `tools.arguments.requiring_user` makes one per tool and deployment."""
    found = dict.fromkeys(
        model
        for model in _subclasses(BaseModel)
        if model.__module__.startswith(CALL_PATH) and not model.__pydantic_complete__
    )
    return list(found)


def build_when_idle() -> None:
    """Import the call path's modules, then build every pending model, one per turn of the running event
    loop, each queued behind whatever is ready to run; even finding them (a walk over every pydantic class
    of the process) waits for its turn, so the listing that triggers this is not delayed. A model a call
    built in the meantime is skipped. Without a running asyncio loop, nothing happens (the first call
    imports and builds what it needs)."""
    try:
        loop = asyncio.get_running_loop()
    except RuntimeError:
        return

    def step(models: Iterator[type[BaseModel]]) -> None:
        model = next(models, None)
        if model is None:
            return
        if not model.__pydantic_complete__:
            model.model_rebuild()
        loop.call_soon(step, models)

    def begin() -> None:
        for name in CALL_PATH_MODULES:
            importlib.import_module(name)
        loop.call_soon(lambda: step(iter(pending_models())))

    loop.call_soon(begin)
