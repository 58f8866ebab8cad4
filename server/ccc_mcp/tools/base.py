"""What every tool shares: its declaration (`ToolSpec`), the call it runs (`ToolCall`), and the one
pipeline every call goes through (`run_tool`): rate limit, argument validation, instance policy, the agent
to act for and the caller's rights, the tool's own work, next-step guidance, the log line and the audit
record (docs/architecture.md §2).

A tool module declares a `ToolSpec` — name, description, arguments model, result model, annotations,
access and an async `run` — and nothing else; it never builds an MCP message.
`mcpserver/sdk_tools.py` turns specs into MCP tools.
"""

from __future__ import annotations

import asyncio
import logging
import time
import traceback
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from mcp_types import ToolAnnotations

from ccc_mcp.api.errors import describe
from ccc_mcp.api.models import ErrorInfo
from ccc_mcp.config.settings import Settings
from ccc_mcp.policy.identity import Caller
from ccc_mcp.policy.rights import RAM, Access, refusal, target_agent
from ccc_mcp.telemetry.recording import record_tool_call
from ccc_mcp.tools.arguments import ToolArguments, requiring_user, validate_arguments
from ccc_mcp.tools.call_lines import CallFacts, CallLines
from ccc_mcp.tools.guidance import Guide
from ccc_mcp.tools.results import ToolResult

if TYPE_CHECKING:  # imported by the first call, not by a server's start (architecture.md §4)
    from ccc_mcp.api.client import ApiResult, CccClient
    from ccc_mcp.policy.ratelimit import RateLimiter
    from ccc_mcp.tools.pacer import Pacer

__all__ = ["CANCELLED", "AppState", "CallFacts", "Progress", "ToolCall", "ToolSpec", "run_tool"]

Progress = Callable[[float, float | None, str | None], Awaitable[None]]
"""Report how far a long call has come (done, total, message): the MCP layer's progress notification."""

log = logging.getLogger("ccc_mcp.calls")

ArgsT = TypeVar("ArgsT", bound=ToolArguments)

CANCELLED = "Cancelled"  # the outcome of a call stopped before its answer (no result, so no error code)


class AppState:
    """What the tools share for the life of the process (the server's lifespan state): the settings, the one
    pooled CCC client, the rate limiter (HTTP only) and the calls' log and audit lines. The client is made by
    `connect` when a call first needs it: listing tools needs none, and a server's start then imports none of
    the client's modules (architecture.md §4, "Cold start")."""

    __slots__ = ("_client", "_connect", "_pacer", "limiter", "lines", "settings")

    def __init__(
        self, settings: Settings, connect: Callable[[], CccClient], limiter: RateLimiter | None, lines: CallLines
    ) -> None:
        self.settings = settings
        self.limiter = limiter
        self.lines = lines
        self._connect = connect
        self._client: CccClient | None = None
        self._pacer: Pacer | None = None

    @property
    def client(self) -> CccClient:
        if self._client is None:
            self._client = self._connect()
        return self._client

    @property
    def pacer(self) -> Pacer:
        """The process's one pace for fanned-out CCC requests (`CCC_MCP_FANOUT_RATE`), made on first use."""
        if self._pacer is None:
            from ccc_mcp.tools.pacer import Pacer

            self._pacer = Pacer(self.settings.fanout_rate, self.client.now)
        return self._pacer

    async def aclose(self) -> None:
        """Close the client's pool, if a call made the client."""
        if self._client is not None:
            await self._client.aclose()


async def _free() -> float | None:
    """A caller with no per-client limit (stdio, in memory) may send any number of requests."""
    return None


@dataclass(slots=True)
class ToolCall(Generic[ArgsT]):
    """One validated call of a tool, as its `run` sees it."""

    args: ArgsT
    instance_id: str
    user_id: str | None  # the agent to act for; None: send no UserId (CCC uses the credentials' agent)
    settings: Settings
    app: AppState  # the process's shared parts: the CCC client, the fan-out's pace
    guide: Guide
    facts: CallFacts
    started: float  # on the client's clock: every request of this tool call shares one deadline from here
    own_line_only: bool = False  # the caller may control only their own agent's call (scope, not supervise)
    charge: Callable[[], Awaitable[float | None]] = _free  # one more CCC request: None, or the wait
    progress: Progress | None = None  # set when the client asked for progress notifications

    @property
    def client(self) -> CccClient:
        return self.app.client

    @property
    def pacer(self) -> Pacer:
        return self.app.pacer

    async def ccc(
        self,
        action: str,
        params: Mapping[str, str | None],
        form: Mapping[str, str | None] | None = None,
        *,
        retry: bool = True,
    ) -> ApiResult:
        """Run a CCC action on this call's instance, counting its attempts for the log and the audit. A tool
        that looks ids up first makes two requests; both fit in the one deadline of the tool call."""
        query = {"InstanceId": self.instance_id, **params}
        outcome = await self.client.call(action, query, form=form, started=self.started, retry=retry)
        self.facts.attempts += outcome.attempts
        self.facts.actions.append(action)
        return outcome


@dataclass(frozen=True, slots=True)
class ToolSpec(Generic[ArgsT]):
    """A tool, declared. `describe` renders the description for the tools a caller can see."""

    name: str
    title: str
    describe: Callable[[Guide], str]
    arguments: type[ArgsT]
    result: type[ToolResult]
    annotations: ToolAnnotations
    run: Callable[[ToolCall[ArgsT]], Awaitable[ToolResult]]
    access: Access = "call"
    actions: tuple[str, ...] = ()  # the CCC actions it may send: the RAM permissions it needs (troubleshooting.md)

    @property
    def read_only(self) -> bool:
        return bool(self.annotations.read_only_hint)

    def arguments_for(self, settings: Settings) -> type[ArgsT]:
        """The arguments model this deployment publishes and validates: `user_id` is required unless
        there is a default agent."""
        if "user_id" in self.arguments.model_fields and not settings.default_agent:
            return requiring_user(self.arguments)
        return self.arguments


def instance_for(settings: Settings, requested: str | None) -> ErrorInfo | str:
    """The instance to use, or why the call is refused before any request."""
    instance_id = requested or settings.instance_id
    if instance_id is None:
        return describe(
            "Parameter.Blank", "The parameter instance_id may not be null or blank.", params=["instance_id"]
        )
    if settings.allowed_instances and instance_id not in settings.allowed_instances:
        allowed = ", ".join(sorted(settings.allowed_instances))
        return describe(
            "Forbidden.Instance",
            f"This server may not act on instance {instance_id}; allowed: {allowed}.",
            params=[instance_id],
        )
    return instance_id


async def _run(
    spec: ToolSpec[Any],
    app: AppState,
    caller: Caller,
    raw: object,
    guide: Guide,
    facts: CallFacts,
    progress: Progress | None,
) -> ToolResult:
    """Validate, apply policy and rights, run the tool, noting in `facts` what the call is about as soon as it
    is known. Nothing is sent to CCC unless all of them pass."""
    settings = app.settings
    started = app.client.now()
    args = validate_arguments(spec.arguments_for(settings), raw)
    if isinstance(args, ErrorInfo):
        return spec.result(ok=False, error=args)
    acts_for_agent = "user_id" in type(args).model_fields
    user, named = target_agent(args.user_id, caller, settings) if acts_for_agent else (None, False)
    facts.instance = getattr(args, "instance_id", None)
    facts.user = user if user is not None else (RAM if named else None)
    facts.job = getattr(args, "job_id", None)
    facts.channel = getattr(args, "channel_id", None)
    if acts_for_agent and not named:  # e.g. sign-in mode without a sign-in: no default to stand in
        blank = describe("Parameter.Blank", "The parameter user_id may not be null or blank.", params=["user_id"])
        return spec.result(ok=False, error=blank)
    instance = instance_for(settings, facts.instance)
    if isinstance(instance, ErrorInfo):
        return spec.result(ok=False, error=instance)
    facts.instance = instance
    refused = refusal(caller, spec.access, user, settings)
    if refused is not None:
        return spec.result(ok=False, error=refused)
    own_only = caller.scopes is not None and settings.supervise_scope not in caller.scopes
    call = ToolCall(
        args, instance, user, settings, app, guide, facts, started, own_only, _charger(app, caller), progress
    )
    return await spec.run(call)


def _charger(app: AppState, caller: Caller) -> Callable[[], Awaitable[float | None]]:
    """Each further CCC request of a call counts against the caller's rate limit, as a tool call does (the
    list_calls fan-out sends many): None while allowed, else the wait."""
    limiter = app.limiter
    if limiter is None:
        return _free

    async def charge() -> float | None:
        verdict = await limiter.hit(caller.key)
        return None if verdict.allowed else verdict.wait

    return charge


def _throttled(spec: ToolSpec[Any], limiter: RateLimiter, wait: float) -> ToolResult:
    error = describe(
        "Throttling",
        f"Too many calls from this client: the limit is {limiter.per_minute} per minute "
        f"with bursts of {limiter.burst}.",
        http_status=429,
    )
    error.hint = f"This server is limiting your calls. Wait {wait:.1f} s before calling again."
    return spec.result(ok=False, error=error)


def _unexpected(spec: ToolSpec[Any], exc: Exception) -> ToolResult:
    """The structured answer to an exception that escaped; logged by type and place, never by value."""
    frame = traceback.extract_tb(exc.__traceback__)[-1] if exc.__traceback__ else None
    where = f"{Path(frame.filename).name}:{frame.lineno}" if frame else "unknown"
    log.error("tool=%s outcome=Server.Internal exception=%s at=%s", spec.name, type(exc).__name__, where)
    error = describe("Server.Internal", f"The server failed unexpectedly ({type(exc).__name__}).")
    return spec.result(ok=False, error=error)


def _outcome(result: ToolResult) -> str:
    return "OK" if result.error is None else result.error.code


async def run_tool(
    spec: ToolSpec[Any], app: AppState, caller: Caller, raw: object, guide: Guide, progress: Progress | None = None
) -> ToolResult:
    """One tool call as the server runs it: rate limit, the call itself, guidance; its log and audit lines are
    noted here and written once the answer is on its way (`tools.call_lines`). A call cancelled on the way
    (its client gave up or cancelled it, or the server stopped) has its lines too, with outcome `Cancelled`:
    requests it sent may have reached CCC."""
    started = time.monotonic()
    facts = CallFacts()
    try:
        if app.limiter is not None and not (verdict := await app.limiter.hit(caller.key)).allowed:
            result = _throttled(spec, app.limiter, verdict.wait)
        else:
            try:
                result = await _run(spec, app, caller, raw, guide, facts, progress)
            except Exception as exc:  # a bug of ours must still answer in the published shape
                result, facts = _unexpected(spec, exc), CallFacts()
    except asyncio.CancelledError:
        _note(spec, app, caller, facts, CANCELLED, None, started)
        raise
    if result.error is not None:
        result.error = guide.advise(result.error, spec.name)
    _note(spec, app, caller, facts, _outcome(result), result.request_id, started)
    return result


def _note(
    spec: ToolSpec[Any], app: AppState, caller: Caller, facts: CallFacts, outcome: str, request_id: str | None,
    started: float,
) -> None:
    """The call's metric point, and its log and audit lines to be written once its answer is on its way."""
    latency_ms = (time.monotonic() - started) * 1000
    record_tool_call(spec.name, outcome, latency_ms / 1000, facts.attempts)
    app.lines.add(spec.name, caller, facts, outcome, request_id, latency_ms)
