"""The audit log: one JSON line per tool call (reads, refusals and actions alike), for whoever must answer
"who unmuted that?".

It records the caller, what was asked and what happened — never a secret or a token. Each AuditLog writes
to its own destination (stderr, or a file it opens for appending), apart from the operational log, so two
servers in one process (tests, embedding) never share or steal each other's destination.

Lines are written straight to their stream, the lines of one event-loop turn together (`tools.call_lines`):
the logging module's records, handlers and formatters bought nothing here and were the better part of the
audit's cost per call (docs/performance.md). Each write holds whole lines and at most `_CHUNK` characters,
so it stays atomic on a pipe that several worker processes share (`--workers`: one stderr). The time stamp
is CCC's date form, formatted once a second (`api.dates`). A character the destination cannot encode (an
unpaired surrogate in a token's subject) is written as its escape, which JSON reads back as the same string.
"""

from __future__ import annotations

import json
import logging
import sys
import threading
from collections.abc import Iterator
from typing import Any, TextIO

from ccc_mcp.api.dates import utc_now

__all__ = ["AuditLog"]

log = logging.getLogger(__name__)
_encode = json.JSONEncoder(ensure_ascii=False).encode  # json.dumps(..., ensure_ascii=False), built once
_CHUNK = 1024  # characters: at most 4 KiB of UTF-8, within PIPE_BUF, so one write is never interleaved


class AuditLog:
    """Writes audit lines; `off` makes `write` a no-op."""

    def __init__(self, destination: str = "stderr") -> None:
        self.enabled = destination.lower() != "off"
        self._stream: TextIO | None = None
        self._owned = False
        self._lock = threading.Lock()  # one write at a time, whichever thread writes
        self._failing = False
        if self.enabled:
            if destination.lower() == "stderr":
                self._stream = sys.stderr
            else:  # closed by close()
                self._stream = open(destination, "a", encoding="utf-8", errors="backslashreplace")  # noqa: SIM115
                self._owned = True

    def entry(self, *, tool: str, caller: str, arguments: dict[str, Any], requests: int, outcome: str,
              request_id: str | None, latency_ms: float) -> str:
        """One call's audit line (newline included), for `write`."""
        return _encode({
            "ts": utc_now(),
            "event": "tool_call",
            "tool": tool,
            "caller": caller,
            "instance": arguments.get("instance"),
            "user": arguments.get("user"),
            "job": arguments.get("job"),
            "channel": arguments.get("channel"),
            "requests": requests,  # CCC requests the call sent (a list_calls sends one per live call)
            "outcome": outcome,
            "request_id": request_id,
            "latency_ms": round(latency_ms, 1),
        }) + "\n"

    def write(self, lines: list[str]) -> None:
        """Write audit lines (from `entry`), as few writes as whole lines within `_CHUNK` allow; a no-op when
        off or closed. A failure (a full disk) is reported once per spell, and never fails a call."""
        stream = self._stream
        if stream is None or not lines:
            return
        try:
            with self._lock:
                for chunk in _chunks(lines):
                    stream.write(chunk)
                    stream.flush()
        except (OSError, ValueError) as exc:
            if not self._failing:
                self._failing = True
                log.error("The audit log cannot be written (%s); calls go on unaudited until it can.",
                          type(exc).__name__)  # fmt: skip
            return
        if self._failing:
            self._failing = False
            log.warning("The audit log is written again; the lines of the calls in between are lost.")

    def close(self) -> None:
        stream, self._stream = self._stream, None
        if stream is not None and self._owned:
            stream.close()


def _chunks(lines: list[str]) -> Iterator[str]:
    """The lines joined into runs of at most `_CHUNK` characters (a longer line on its own)."""
    start, size = 0, 0
    for end, line in enumerate(lines):
        if size and size + len(line) > _CHUNK:
            yield "".join(lines[start:end])
            start, size = end, 0
        size += len(line)
    yield "".join(lines[start:])
