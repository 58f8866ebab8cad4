"""Counting the requests that reach the simulator's wire, for tests and benchmarks that must count them.

A fan-out's promises are about requests: one ListRealtimeAgentStates per page of agents, one PollUserStatus
per live call and never two for the same call, none after a cancel, no storm under throttling. So the
simulator counts, per action, the requests that arrived (when they arrive, so one still in flight counts)
and how each ended; and for PollUserStatus, the requests per `UserId` asked for and the answers per `JobId`
given. Readable in process (`sim.stats`) and from the admin API (`GET /_admin/requests`), cleared by
`sim.stats.clear()` or `DELETE /_admin/requests`; a reset of the state keeps them, as it keeps the faults.
"""

from __future__ import annotations

import threading
from collections import Counter, defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

__all__ = ["POLL", "RequestStats"]

POLL = "PollUserStatus"
CALLER = "(caller)"  # a PollUserStatus without UserId: the agent of the AccessKey


@dataclass
class RequestStats:
    """What reached the wire.

    `received` and `actions` count requests as they arrive (`actions` by `x-acs-action`, `-` when there is
    none); `outcomes` counts each one's final code when it is done (`OK`, an error code, `fault:<kind>`,
    `client:hung-up`), which for a slow answer is later, and `action_outcomes` the same per action.
    `polls_by_user` counts PollUserStatus requests by the `UserId` they name (`(caller)` without one), and
    `polls_by_job` its successful answers by the `JobId` they gave (agents with no call are not counted).
    `most_in_flight` is the most requests of each action the simulator held at once (arrived, not done):
    what a client's in-flight bound must keep. Thread-safe: the simulator counts on its loop while a test
    or the admin API reads.
    """

    received: int = 0
    outcomes: Counter[str] = field(default_factory=Counter)
    actions: Counter[str] = field(default_factory=Counter)
    action_outcomes: defaultdict[str, Counter[str]] = field(default_factory=lambda: defaultdict(Counter))
    polls_by_user: Counter[str] = field(default_factory=Counter)
    polls_by_job: Counter[str] = field(default_factory=Counter)
    in_flight: Counter[str] = field(default_factory=Counter)
    most_in_flight: Counter[str] = field(default_factory=Counter)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False, compare=False)

    def arrived(self, action: str | None, params: Mapping[str, str]) -> None:
        """A request has arrived (before faults, authentication or the action)."""
        name = action or "-"
        with self._lock:
            self.received += 1
            self.actions[name] += 1
            self.in_flight[name] += 1
            self.most_in_flight[name] = max(self.most_in_flight[name], self.in_flight[name])
            if name == POLL:
                self.polls_by_user[params.get("UserId", "").strip() or CALLER] += 1

    def answered(self, action: str | None, data: Mapping[str, Any]) -> None:
        """An action succeeded with `data`: a PollUserStatus answer counts for the job it gave."""
        if action != POLL:
            return
        job = data.get("UserContext", {}).get("JobId")
        if job:
            with self._lock:
                self.polls_by_job[job] += 1

    def finished(self, action: str | None, code: str) -> None:
        """A request is done: its outcome code, overall and for its action."""
        with self._lock:
            self.outcomes[code] += 1
            self.action_outcomes[action or "-"][code] += 1
            self.in_flight[action or "-"] -= 1

    def clear(self) -> None:
        with self._lock:
            self.received = 0
            for counter in (self.outcomes, self.actions, self.polls_by_user, self.polls_by_job, self.most_in_flight):
                counter.clear()
            self.action_outcomes.clear()

    def snapshot(self) -> dict[str, Any]:
        """Everything as plain JSON-able data (the admin API serves this)."""
        with self._lock:
            return {
                "received": self.received,
                "outcomes": dict(self.outcomes),
                "actions": {
                    name: {"received": count, "outcomes": dict(self.action_outcomes.get(name, {}))}
                    for name, count in sorted(self.actions.items())
                },
                "poll_user_status": {"by_user": dict(self.polls_by_user), "by_job": dict(self.polls_by_job)},
                "most_in_flight": dict(self.most_in_flight),
            }
