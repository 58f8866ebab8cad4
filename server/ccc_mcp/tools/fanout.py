"""The bounded fan-out behind `list_calls`: every agent on a call read once, each live call polled once
(docs/architecture.md §4, "The whole floor in one call").

- At most `CCC_MCP_FANOUT` requests are in flight, at the pace the process's `Pacer` allows (its rate,
  slowed down together after a throttling answer; a request already waiting for its moment then waits out
  the pause too); a refused or failed read is tried again at the pace, never in a tight loop, at most
  `CCC_MAX_ATTEMPTS` times.
- Never two polls for one call: an agent whose call an earlier poll returned is skipped, and an agent linked
  to one whose poll is in flight (CCC's `CounterParty` names the other agent of a consult, monitor or coach
  call, by user id or extension) waits for that poll to end first.
- Every request counts against the caller's rate limit (`ToolCall.charge`), so one list_calls cannot
  multiply a client's share of CCC.
- Everything happens inside the tool call's one deadline: no request starts within `MARGIN` of it. When the
  deadline comes, the caller's share runs out, or reads fail for good, the scan says why; a cancelled tool
  call cancels its tasks, and nothing more is sent.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TypeVar

from ccc_mcp.api.models import CallContext, ErrorInfo, RealtimeAgentState
from ccc_mcp.tools.call_control import read_data

if TYPE_CHECKING:
    from ccc_mcp.tools.base import ToolCall
    from ccc_mcp.tools.pacer import Pacer

__all__ = ["MARGIN", "Fanout", "Scan", "links"]

T = TypeVar("T")

MARGIN = 0.25  # seconds before the deadline after which no request starts
PROGRESS_EVERY = 0.1  # seconds between two progress notifications (the last one is always sent)


@dataclass
class Scan:
    """What a fan-out gathered, and why it stopped early (None: it read every agent it was given)."""

    calls: dict[str, CallContext] = field(default_factory=dict)  # by job id, in the order found
    unread: dict[str, ErrorInfo] = field(default_factory=dict)  # agent -> why their status is missing
    read: int = 0  # agents whose call is known: their poll answered, or another agent's returned it
    requests: int = 0  # CCC requests sent
    stopped: str | None = None


class Fanout:
    """One list_calls' CCC requests: bounded, paced, charged, inside one deadline."""

    def __init__(self, call: ToolCall[Any], pacer: Pacer) -> None:
        self.call = call
        self.pacer = pacer
        self.scan = Scan()
        self._slots = asyncio.Semaphore(call.settings.fanout)
        self._deadline = call.started + call.settings.deadline
        self._covered: set[str] = set()  # agents on a call some poll returned
        self._in_flight: dict[str, asyncio.Event] = {}
        self._links: dict[str, set[str]] = {}
        self._done = 0
        self._total = 0
        self._reported = float("-inf")
        self._prepaid = 1  # the tool call's own place in the caller's rate limit pays for its first request

    def stop(self, reason: str) -> None:
        """Send nothing more; the first reason is the one the answer gives."""
        if self.scan.stopped is None:
            self.scan.stopped = reason

    async def send(self, request: Callable[[], Awaitable[T]]) -> T | None:
        """One CCC request within every bound, or None when the fan-out has stopped sending."""
        async with self._slots:
            if self.scan.stopped is not None:
                return None
            at = self._reserve()
            if at is None:
                return None
            wait = await self.call.charge() if not self._prepaid else None
            self._prepaid = 0
            if wait is not None:
                self.stop(f"this client's share of CCC requests is used up for now: wait {wait:.0f} s")
                return None
            while (delay := at - self.call.client.now()) > 0:
                await asyncio.sleep(delay)
                if self.pacer.paused_for():  # CCC throttled a request meanwhile: this one waits out the pause too
                    at = self._reserve()
                    if at is None:
                        return None
            self.scan.requests += 1
            return await request()

    def _reserve(self) -> float | None:
        """The moment of the next request at the pace, or None (and the fan-out stops) past the deadline."""
        at = self.pacer.reserve(before=self._deadline - MARGIN)
        if at is None:
            paused = self.pacer.paused_for()
            self.stop(
                f"CCC is throttling this server: its requests wait {paused:.0f} s more" if paused
                else "the call's deadline came before every agent was read"
            )
            return None
        return at

    async def poll_all(self, rows: Iterable[RealtimeAgentState]) -> None:
        """Read the status of every agent of `rows` (at most one poll per live call), concurrently."""
        agents = [row.agent_id for row in rows if row.agent_id]
        self._links = links(rows)
        self._total = len(agents)
        async with asyncio.TaskGroup() as group:
            for agent in agents:
                group.create_task(self._poll(agent))

    async def _poll(self, agent: str) -> None:
        # A linked agent's poll may return this agent's call too. Look up the agent's few links, not every
        # read in flight: all the floor's reads are registered at once, so that scan was quadratic.
        while pending := [self._in_flight[other] for other in self._links.get(agent, ()) if other in self._in_flight]:
            await pending[0].wait()
        if agent in self._covered:
            self.scan.read += 1
        else:
            finished = self._in_flight[agent] = asyncio.Event()
            try:
                await self._read(agent)
            finally:
                del self._in_flight[agent]
                finished.set()
        await self._progress()

    async def _read(self, agent: str) -> None:
        for _ in range(self.call.settings.max_attempts):
            outcome = await self.send(lambda: self.call.ccc("PollUserStatus", self._poll_params(agent), retry=False))
            if outcome is None:
                return
            data = read_data(outcome)
            if isinstance(data, ErrorInfo):
                self.scan.unread[agent] = data
                if data.code.startswith("Throttling"):
                    self.pacer.throttled(outcome.retry_after)
                if not data.retryable:
                    return
                continue
            self.pacer.succeeded()
            self.scan.unread.pop(agent, None)
            self._found(agent, data.call_context)
            return

    def _poll_params(self, agent: str) -> dict[str, str | None]:
        return {"UserId": agent, "DeviceId": self.call.settings.device_id}

    def _found(self, agent: str, context: CallContext | None) -> None:
        self.scan.read += 1
        self._covered.add(agent)
        if context is None or not context.job_id:
            return  # the agent's call ended between the listing and the poll
        self._covered.update(channel.user_id for channel in context.channel_contexts if channel.user_id)
        self.scan.calls.setdefault(context.job_id, context)

    async def _progress(self) -> None:
        self._done += 1
        progress = self.call.progress
        now = self.call.client.now()
        if progress is None or (now - self._reported < PROGRESS_EVERY and self._done < self._total):
            return
        self._reported = now
        found = len(self.scan.calls)
        await progress(self._done, self._total, f"{self._done} of {self._total} agents read; {found} calls found")


def links(rows: Iterable[RealtimeAgentState]) -> dict[str, set[str]]:
    """Agents who may share a call, both ways: CCC's CounterParty names the other agent of a consult, monitor
    or coach call (the simulator and CCC's samples use the user id; an extension is matched too)."""
    rows = list(rows)
    named = {row.agent_id: row.agent_id for row in rows if row.agent_id}
    named |= {row.extension: row.agent_id for row in rows if row.extension and row.agent_id}
    linked: dict[str, set[str]] = {}
    for row in rows:
        other = named.get(row.counter_party or "")
        if row.agent_id and other and other != row.agent_id:
            linked.setdefault(row.agent_id, set()).add(other)
            linked.setdefault(other, set()).add(row.agent_id)
    return linked
