"""Logging goes to stderr, always: on stdio, stdout carries nothing but the MCP protocol. One function
configures it for every command (`serve` logs everything at its level; the simulator service logs its own
request lines at its level and only warnings of everything else)."""

from __future__ import annotations

import functools
import logging
import sys
import time

__all__ = ["FORMAT", "PROCESS_FORMAT", "configure_logging"]

FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
PROCESS_FORMAT = "%(asctime)s %(levelname)s [%(process)d] %(name)s: %(message)s"  # several processes, one stderr
_CHATTY = ("httpx", "httpcore", "aiohttp", "mcp", "uvicorn", "uvicorn.error", "uvicorn.access")


class _Formatter(logging.Formatter):
    """The standard formatter, with `asctime` formatted once a second rather than once a line (a serving
    process writes a line per call; `time.strftime` was a fifth of the line's cost)."""

    def formatTime(self, record: logging.LogRecord, datefmt: str | None = None) -> str:
        if datefmt is not None or self.converter is not time.localtime:
            return super().formatTime(record, datefmt)
        stamp = _local_second(int(record.created))
        return self.default_msec_format % (stamp, record.msecs) if self.default_msec_format else stamp


@functools.lru_cache(maxsize=2)
def _local_second(second: int) -> str:
    return time.strftime(logging.Formatter.default_time_format, time.localtime(second))


def configure_logging(level: str, *, only: str | None = None, process: bool = False) -> None:
    """One stderr handler on the root logger. Everything logs at `level` — or, with `only`, just that logger
    does and the rest from WARNING up. Chatty libraries never log below WARNING. With `process`, each line
    names its process id (`serve --workers`: the workers share the parent's stderr)."""
    numeric = logging.getLevelName(level.upper())
    root = logging.getLogger()
    for handler in list(root.handlers):
        root.removeHandler(handler)
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(_Formatter(PROCESS_FORMAT if process else FORMAT))
    root.addHandler(handler)
    root.setLevel(numeric if only is None else max(numeric, logging.WARNING))
    if only is not None:
        logging.getLogger(only).setLevel(numeric)
    for noisy in _CHATTY:
        logging.getLogger(noisy).setLevel(max(logging.WARNING, numeric))
    _record_only_what_is_shown()


def _record_only_what_is_shown() -> None:
    """Records stop collecting what no line of ours shows: the thread, the multiprocessing process name, and
    where the call was made from (a walk up the stack per record). The switches the logging HOWTO gives for
    this ("Optimization"); a serving process configures its logging here, once, and logs a line per call.
    The process id stays: `PROCESS_FORMAT` shows it."""
    logging.logThreads = False
    logging.logMultiprocessing = False
    logging._srcfile = None  # the HOWTO's documented switch, though the name is private
