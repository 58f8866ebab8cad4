"""The two lines every tool call leaves: the operational log line (logger `ccc_mcp.calls`, INFO) and the
audit line (`policy.audit`).

They are written after the call's answer, by the event loop, for all the calls answered in one turn of it
together (architecture.md §2). On stdio the answer is on the pipe before its lines are even formatted, so
they cost the client no latency; under load, the lines of one turn are formatted in one go (the code is
warm after the first) and the audit's go out in one write (docs/performance.md).
"""

from __future__ import annotations

import asyncio
import contextvars
import logging
from dataclasses import dataclass, field

from ccc_mcp.policy.audit import AuditLog
from ccc_mcp.policy.identity import Caller

__all__ = ["CallFacts", "CallLines"]

log = logging.getLogger("ccc_mcp.calls")

# The call's context (its log line is written in it), tool, caller, facts, outcome, request id, milliseconds.
_Line = tuple[contextvars.Context, str, Caller, "CallFacts", str, "str | None", float]


@dataclass(slots=True)
class CallFacts:
    """What a call was about and how it went, for its two lines."""

    instance: str | None = None
    user: str | None = None
    job: str | None = None
    channel: str | None = None
    attempts: int = 0
    actions: list[str] = field(default_factory=list)


class CallLines:
    """One server's call lines (held in its lifespan state): collected as calls end, written once the event
    loop has handed their answers on, or by `flush` when the server stops."""

    def __init__(self, audit: AuditLog) -> None:
        self.audit = audit
        self._pending: list[_Line] = []
        self._loop: asyncio.AbstractEventLoop | None = None  # the loop asked to write what is pending

    def add(
        self, tool: str, caller: Caller, facts: CallFacts, outcome: str, request_id: str | None, latency_ms: float
    ) -> None:
        """Note one finished call. The first of a turn asks the loop to write them all once it has run the
        rest of the turn (the answers' own steps included); so does a call on another loop than the last
        one asked (a loop that stopped may never have run its turn)."""
        loop = asyncio.get_running_loop()
        if not self._pending or loop is not self._loop:
            self._loop = loop
            loop.call_soon(self.flush)
        self._pending.append((contextvars.copy_context(), tool, caller, facts, outcome, request_id, latency_ms))

    def flush(self) -> None:
        """Write what was noted; nothing here can fail a call or reach the event loop's error handler."""
        lines, self._pending = self._pending, []
        if not lines:
            return
        try:
            if log.isEnabledFor(logging.INFO):
                for line in lines:  # in the call's own context, as if logged by the call
                    line[0].run(_log_line, *line[1:])
        except Exception as exc:  # a bug of ours in a line must not go further, nor cost the audit its lines
            log.error("writing %d calls' log lines failed: %s", len(lines), type(exc).__name__)
        try:
            if self.audit.enabled:
                self.audit.write([_audit_line(self.audit, *line[1:]) for line in lines])
        except Exception as exc:
            log.error("writing %d calls' audit lines failed: %s", len(lines), type(exc).__name__)


def _log_line(
    tool: str, caller: Caller, facts: CallFacts, outcome: str, request_id: str | None, latency_ms: float
) -> None:
    log.info(
        "tool=%s actions=%s instance=%s user=%s outcome=%s request_id=%s attempts=%s latency_ms=%.1f",
        tool,
        _actions(facts.actions),
        facts.instance,
        facts.user,
        outcome,
        request_id,
        facts.attempts,
        latency_ms,
    )


def _actions(actions: list[str]) -> str:
    """The CCC actions of a call, in order, a repeated one counted: `ListRealtimeAgentStates*2+PollUserStatus*126`
    for a list_calls over a floor, `PollUserStatus+HoldCall` for an action that looked its ids up."""
    counts: dict[str, int] = {}
    for action in actions:
        counts[action] = counts.get(action, 0) + 1
    return "+".join(name if n == 1 else f"{name}*{n}" for name, n in counts.items()) or "-"


def _audit_line(
    audit: AuditLog,
    tool: str,
    caller: Caller,
    facts: CallFacts,
    outcome: str,
    request_id: str | None,
    latency_ms: float,
) -> str:
    return audit.entry(
        tool=tool,
        caller=str(caller),
        arguments={"instance": facts.instance, "user": facts.user, "job": facts.job, "channel": facts.channel},
        requests=len(facts.actions),
        outcome=outcome,
        request_id=request_id,
        latency_ms=latency_ms,
    )
