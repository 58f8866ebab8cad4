"""The audit log: one JSON line per tool call (reads, refusals and actions alike), for whoever must answer
"who unmuted that?".

It records the caller, what was asked and what happened — never a secret or a token. Each AuditLog writes
to its own destination (stderr, or a file it opens for appending), apart from the operational log, so two
servers in one process (tests, embedding) never share or steal each other's destination.

A line is written straight to its stream, one write and one flush per line: the logging module's records,
handlers and formatters bought nothing here and were the better part of the audit's cost per call
(docs/performance.md). The time stamp changes once a second, so it is formatted once a second.
"""

from __future__ import annotations

import functools
import json
import logging
import sys
import threading
import time
from typing import Any, TextIO

__all__ = ["AuditLog"]

log = logging.getLogger(__name__)
_encode = json.JSONEncoder(ensure_ascii=False).encode  # json.dumps(..., ensure_ascii=False), built once


class AuditLog:
    """Writes audit records; `off` makes `record` a no-op."""

    def __init__(self, destination: str = "stderr") -> None:
        self.enabled = destination.lower() != "off"
        self._stream: TextIO | None = None
        self._owned = False
        self._lock = threading.Lock()  # one line at a time, whichever thread writes
        self._failed = False
        if self.enabled:
            if destination.lower() == "stderr":
                self._stream = sys.stderr
            else:
                self._stream = open(destination, "a", encoding="utf-8")  # noqa: SIM115 - closed by close()
                self._owned = True

    def entry(self, *, tool: str, caller: str, arguments: dict[str, Any], outcome: str,
              request_id: str | None, latency_ms: float) -> str:
        """One call's audit line (newline included), for `write`."""
        return _encode({
            "ts": _utc_second(int(time.time())),
            "event": "tool_call",
            "tool": tool,
            "caller": caller,
            "instance": arguments.get("instance"),
            "user": arguments.get("user"),
            "job": arguments.get("job"),
            "channel": arguments.get("channel"),
            "outcome": outcome,
            "request_id": request_id,
            "latency_ms": round(latency_ms, 1),
        }) + "\n"

    def record(self, *, tool: str, caller: str, arguments: dict[str, Any], outcome: str,
               request_id: str | None, latency_ms: float) -> None:
        """Write one call's audit line now."""
        self.write([self.entry(tool=tool, caller=caller, arguments=arguments, outcome=outcome,
                               request_id=request_id, latency_ms=latency_ms)])

    def write(self, lines: list[str]) -> None:
        """Write audit lines (from `entry`) in one write and one flush; a no-op when off or closed."""
        stream = self._stream
        if stream is None or not lines:
            return
        try:
            with self._lock:
                stream.write("".join(lines))
                stream.flush()
        except (OSError, ValueError) as exc:  # a full disk or a closed stream must not fail the call
            if not self._failed:
                self._failed = True
                log.error("The audit log cannot be written (%s); calls go on unaudited.", type(exc).__name__)

    def close(self) -> None:
        stream, self._stream = self._stream, None
        if stream is not None and self._owned:
            stream.close()


@functools.lru_cache(maxsize=2)
def _utc_second(second: int) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(second))
