"""Fault injection: rules that make the simulator misbehave the way real networks and gateways do.

A rule says *what* goes wrong (its `kind`), *for which action* (`action`, default every action) and *how
often*: the next `times` matching requests, and/or each with `probability` (drawn from a seeded RNG, so a
run is reproducible). A rule with neither applies to every matching request until cleared.

Kinds:
- `latency`     wait `ms` before handling (adds to any other fault);
- `error`       answer `status` with `code`, in the gateway's body (`style: gateway`) or CCC's envelope
                (`style: ccc`, with `params`), optionally with `x-acs-retry-after`;
- `throttle`    `Throttling.User` (or another `code`) with status 400 or 429, optional `retry_after`; with
                `rate` (requests per second, and `burst`), only the matching requests beyond that rate are
                throttled: a token bucket, timed by the injector's monotonic clock (injectable in tests);
- `disconnect`  close the connection without answering (`after_action: true` applies the action first:
                the outcome is unknown to the client);
- `malformed`   a body that is not the JSON envelope: `html`, `text`, `empty` or `garbage`;
- `truncated`   the real answer cut to `keep` of its length, with a matching Content-Length or one that
                `lie`s (then the connection is closed mid-body);
- `trickle`     the real answer sent `chunk_bytes` at a time every `interval_ms`.

This module is pure (rules and selection); `responses.py` turns a chosen rule into bytes on the wire.
"""

from __future__ import annotations

import json
import math
import random
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError, model_validator

from ccc_mcp.simulator.validation import describe_validation_error, read_json_file

__all__ = [
    "DisconnectFault",
    "ErrorFault",
    "FaultError",
    "FaultInjector",
    "FaultRule",
    "LatencyFault",
    "MalformedFault",
    "Monotonic",
    "ThrottleFault",
    "TrickleFault",
    "TruncatedFault",
    "load_faults",
    "parse_rules",
]


class FaultError(ValueError):
    """A fault rule or fault file that cannot be used; one paragraph naming the bad field."""


class _Rule(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    action: str | None = Field(None, description="Action name, e.g. UnmuteCall; omitted or '*' = every action.")
    times: int | None = Field(None, ge=1, description="Apply to the next N matching requests, then expire.")
    probability: float | None = Field(None, ge=0.0, le=1.0, description="Chance per matching request.")

    def matches(self, action: str | None) -> bool:
        return self.action in (None, "*") or self.action == action


class LatencyFault(_Rule):
    kind: Literal["latency"]
    ms: int = Field(ge=0, le=600_000)


class ErrorFault(_Rule):
    kind: Literal["error"]
    status: int = Field(500, ge=400, le=599)
    code: str = "InternalError"
    message: str | None = Field(None, description="Defaults to the code's catalogue message.")
    style: Literal["gateway", "ccc"] = "gateway"
    params: list[str] = Field(default_factory=list, description="CCC style only: the message's fill values.")
    retry_after: int | None = Field(None, ge=0, description="Seconds, sent as x-acs-retry-after.")


class ThrottleFault(_Rule):
    kind: Literal["throttle"]
    status: Literal[400, 429] = 400
    code: str = "Throttling.User"
    retry_after: int | None = Field(None, ge=0, description="Seconds, sent as x-acs-retry-after.")
    rate: float | None = Field(None, gt=0, description="Requests per second let through; only those beyond it fail.")
    burst: int | None = Field(None, ge=1, description="With rate: requests let through at once (default ceil(rate)).")

    @model_validator(mode="after")
    def _burst_needs_rate(self) -> ThrottleFault:
        if self.burst is not None and self.rate is None:
            raise ValueError("burst needs rate: it is the size of the rate's bucket")
        return self


class DisconnectFault(_Rule):
    kind: Literal["disconnect"]
    after_action: bool = Field(False, description="Apply the action, then drop the connection.")


class MalformedFault(_Rule):
    kind: Literal["malformed"]
    body: Literal["html", "text", "empty", "garbage"] = "html"
    status: int = Field(200, ge=100, le=599)


class TruncatedFault(_Rule):
    kind: Literal["truncated"]
    keep: float = Field(0.5, gt=0.0, lt=1.0, description="Fraction of the real body that is sent.")
    content_length: Literal["match", "lie"] = "match"


class TrickleFault(_Rule):
    kind: Literal["trickle"]
    chunk_bytes: int = Field(64, ge=1)
    interval_ms: int = Field(50, ge=0, le=60_000)


FaultRule = Annotated[
    LatencyFault | ErrorFault | ThrottleFault | DisconnectFault | MalformedFault | TruncatedFault | TrickleFault,
    Field(discriminator="kind"),
]
_RULES: TypeAdapter[list[FaultRule]] = TypeAdapter(list[FaultRule])


def parse_rules(data: Any, source: str = "fault rules") -> list[FaultRule]:
    """One rule, a list of rules, or `{"rules": [...]}`; raises FaultError naming the bad field."""
    if isinstance(data, Mapping) and "rules" in data:
        data = data["rules"]
    if isinstance(data, Mapping):
        data = [data]
    try:
        return _RULES.validate_python(data)
    except ValidationError as exc:
        raise FaultError(f"{source} are not valid: {describe_validation_error(exc)}.") from None


def load_faults(path: str | Path) -> tuple[list[FaultRule], int | None]:
    """Read a fault file: a list of rules, or `{"seed": 7, "rules": [...]}`. Returns (rules, seed)."""
    source = f"Fault file {str(path)!r}"
    data = read_json_file(path, source, FaultError)
    seed = data.get("seed") if isinstance(data, dict) else None
    if seed is not None and not isinstance(seed, int):
        raise FaultError(f"{source} is not valid: seed: must be an integer (got {json.dumps(seed)[:60]}).")
    return parse_rules(data, f"{source}'s rules"), seed


_EPSILON = 1e-9
Monotonic = Callable[[], float]
"""Seconds from an arbitrary origin, never going back (`time.monotonic`, or a test's own)."""


@dataclass(slots=True)
class _Bucket:
    """A token bucket: `burst` tokens at most, `rate` more per second; a request let through takes one."""

    rate: float
    burst: int
    tokens: float
    at: float

    def admit(self, now: float) -> bool:
        self.tokens = min(float(self.burst), self.tokens + max(0.0, now - self.at) * self.rate)
        self.at = now
        if self.tokens < 1.0 - _EPSILON:  # five fifths of a token are one, rounding aside
            return False
        self.tokens -= 1.0
        return True


@dataclass(slots=True)
class _Active:
    rule: FaultRule
    remaining: int | None
    bucket: _Bucket | None = None


def _bucket_of(rule: FaultRule, now: Monotonic) -> _Bucket | None:
    """A full bucket for a rate rule (None for every other rule)."""
    if not isinstance(rule, ThrottleFault) or rule.rate is None:
        return None
    burst = rule.burst if rule.burst is not None else max(1, math.ceil(rule.rate))
    return _Bucket(rule.rate, burst, float(burst), now())


@dataclass(frozen=True, slots=True)
class FaultPlan:
    """What to do to one request: wait `latency_ms`, then apply `fault` (None = answer normally)."""

    latency_ms: int = 0
    fault: FaultRule | None = None


class FaultInjector:
    """The live list of rules. Thread-safe: tests add and clear rules while the server runs."""

    def __init__(
        self, rules: Iterable[FaultRule | Mapping[str, Any]] = (), seed: int = 0, *, monotonic: Monotonic | None = None
    ) -> None:
        self._lock = threading.Lock()
        self._active: list[_Active] = []
        self._rng = random.Random(seed)  # noqa: S311 - deterministic fault schedule, not security
        self._monotonic: Monotonic = monotonic if monotonic is not None else time.monotonic
        self.add(*rules)

    def add(self, *rules: FaultRule | Mapping[str, Any]) -> list[FaultRule]:
        """Append rules (models or plain dicts, validated); returns the validated rules."""
        parsed: list[FaultRule] = []
        for rule in rules:
            parsed.extend([rule] if isinstance(rule, _Rule) else parse_rules(rule))
        with self._lock:
            self._active.extend(_Active(rule, rule.times, _bucket_of(rule, self._monotonic)) for rule in parsed)
        return parsed

    def clear(self) -> int:
        """Remove every rule; returns how many were active."""
        with self._lock:
            count = len(self._active)
            self._active.clear()
            return count

    def reseed(self, seed: int) -> None:
        with self._lock:
            self._rng = random.Random(seed)  # noqa: S311

    def describe(self) -> list[dict[str, Any]]:
        """The active rules with what remains of each (`remaining` null = unlimited)."""
        with self._lock:
            return [{**a.rule.model_dump(exclude_none=True), "remaining": a.remaining} for a in self._active]

    def __len__(self) -> int:
        with self._lock:
            return len(self._active)

    def plan(self, action: str | None) -> FaultPlan:
        """Decide the faults of one request: all matching latency rules add up; the first other rule wins.

        A rule only counts (and uses up one of its `times`) when its probability draw succeeds; a rate rule
        only applies to a request its bucket does not let through (which takes no token).
        """
        with self._lock:
            if not self._active:
                return FaultPlan()
            latency = 0
            chosen: FaultRule | None = None
            now: float | None = None
            for active in self._active:
                rule = active.rule
                if not rule.matches(action) or (chosen is not None and rule.kind != "latency"):
                    continue
                if active.bucket is not None:
                    now = self._monotonic() if now is None else now
                    if active.bucket.admit(now):
                        continue
                if rule.probability is not None and self._rng.random() >= rule.probability:
                    continue
                if isinstance(rule, LatencyFault):
                    latency += rule.ms
                else:
                    chosen = rule
                if active.remaining is not None:
                    active.remaining -= 1
            self._active = [a for a in self._active if a.remaining is None or a.remaining > 0]
            return FaultPlan(latency, chosen)
