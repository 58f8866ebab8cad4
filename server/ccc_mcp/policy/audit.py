"""The audit log: one JSON line per tool call (reads, refusals and actions alike), for whoever must answer
"who unmuted that?".

It records the caller, what was asked and what happened — never a secret or a token. Each AuditLog has its
own logger (named `ccc_mcp.policy.audit`, but outside the logging tree) and handler, so the audit trail can be a
file apart from the operational log, and two servers in one process (tests, embedding) never share or
steal each other's destination.
"""

from __future__ import annotations

import json
import logging
import sys
import time
from typing import Any

__all__ = ["AuditLog"]

AUDIT_LOGGER = "ccc_mcp.policy.audit"


class AuditLog:
    """Writes audit records; `off` makes `record` a no-op."""

    def __init__(self, destination: str = "stderr") -> None:
        self._logger = logging.Logger(AUDIT_LOGGER, logging.INFO)  # not getLogger: this instance's alone
        self._logger.propagate = False
        self.enabled = destination.lower() != "off"
        if self.enabled:
            handler: logging.Handler
            if destination.lower() == "stderr":
                handler = logging.StreamHandler(sys.stderr)
            else:
                handler = logging.FileHandler(destination, encoding="utf-8")
            handler.setFormatter(logging.Formatter("%(message)s"))
            self._logger.addHandler(handler)

    def record(self, *, tool: str, caller: str, arguments: dict[str, Any], outcome: str,
               request_id: str | None, latency_ms: float) -> None:
        if not self.enabled:
            return
        entry = {
            "ts": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
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
        }
        self._logger.info("%s", json.dumps(entry, ensure_ascii=False))

    def close(self) -> None:
        for handler in list(self._logger.handlers):
            handler.close()
            self._logger.removeHandler(handler)
