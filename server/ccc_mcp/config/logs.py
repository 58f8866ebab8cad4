"""Logging goes to stderr, always: on stdio, stdout carries nothing but the MCP protocol. One function
configures it for every command (`serve` logs everything at its level; the simulator service logs its own
request lines at its level and only warnings of everything else)."""

from __future__ import annotations

import logging
import sys

__all__ = ["FORMAT", "PROCESS_FORMAT", "configure_logging"]

FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
PROCESS_FORMAT = "%(asctime)s %(levelname)s [%(process)d] %(name)s: %(message)s"  # several processes, one stderr
_CHATTY = ("httpx", "httpcore", "aiohttp", "mcp", "uvicorn", "uvicorn.error", "uvicorn.access")


def configure_logging(level: str, *, only: str | None = None, process: bool = False) -> None:
    """One stderr handler on the root logger. Everything logs at `level` — or, with `only`, just that logger
    does and the rest from WARNING up. Chatty libraries never log below WARNING. With `process`, each line
    names its process id (`serve --workers`: the workers share the parent's stderr)."""
    numeric = logging.getLevelName(level.upper())
    root = logging.getLogger()
    for handler in list(root.handlers):
        root.removeHandler(handler)
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter(PROCESS_FORMAT if process else FORMAT))
    root.addHandler(handler)
    root.setLevel(numeric if only is None else max(numeric, logging.WARNING))
    if only is not None:
        logging.getLogger(only).setLevel(numeric)
    for noisy in _CHATTY:
        logging.getLogger(noisy).setLevel(max(logging.WARNING, numeric))
