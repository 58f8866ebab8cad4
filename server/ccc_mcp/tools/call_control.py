"""What every call-control tool shares: the id arguments, instance policy, the request, the result.

A call-control action (UnmuteCall, MuteCall, HoldCall, ...) takes an instance, an agent and optionally a
call and a channel, and answers with the call's and the agent's contexts. A tool for one of them is a
`CallControlSpec` (name, description, arguments model, CCC action); `build_tool` turns it into an MCP
tool whose every result, success or error, conforms to one published output schema.
"""

from __future__ import annotations

import json
import logging
import time
import traceback
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol, cast

from mcp.server.mcpserver import Context
from mcp.server.mcpserver.tools import Tool
from mcp.server.mcpserver.utilities.func_metadata import ArgModelBase, FuncMetadata
from mcp_types import CallToolResult, TextContent, ToolAnnotations
from pydantic import Field, ValidationError

from ccc_mcp.api.client import ApiResult, CccClient
from ccc_mcp.api.errors import describe
from ccc_mcp.api.models import CallControlData, CallControlResult, ErrorInfo
from ccc_mcp.audit import AuditLog
from ccc_mcp.caller import Caller, identify
from ccc_mcp.config import Settings
from ccc_mcp.ratelimit import RateLimiter
from ccc_mcp.tools.arguments import Identifier, ToolArguments, validate_arguments

log = logging.getLogger("ccc_mcp.calls")

OUTPUT_SCHEMA: dict[str, Any] = CallControlResult.model_json_schema(mode="serialization")


class CallControlArguments(ToolArguments):
    """The ids every call-control action understands. Subclasses narrow which are required."""

    instance_id: Identifier | None = Field(
        None,
        description="The CCC instance id. Optional when the server has a default instance (CCC_INSTANCE_ID).",
        examples=["ccc-test"],
    )
    user_id: Identifier = Field(
        description="The agent whose line to act on, as name@instance.", examples=["agent@ccc-test"]
    )
    device_id: Identifier | None = Field(
        None, description="The agent's device id. Optional: CCC ignores its value.", examples=["device"]
    )
    job_id: Identifier | None = Field(
        None,
        description="The call (job) id. Optional: omit it to act on the agent's current call.",
        examples=["job-6538214103685****"],
    )
    channel_id: Identifier | None = Field(
        None,
        description="The channel to act on. Optional: omit it to act on the agent's own channel of the call.",
        examples=["ch:user:1390501****->8032****:1609138902226:job-6538214103685****"],
    )


class AppContext(Protocol):
    """What a tool needs from the running server (the lifespan's state)."""

    settings: Settings
    client: CccClient
    limiter: RateLimiter | None
    audit: AuditLog


@dataclass(frozen=True, slots=True)
class CallControlSpec:
    name: str
    title: str
    description: str
    action: str
    arguments: type[CallControlArguments]
    annotations: ToolAnnotations


def input_schema(spec: CallControlSpec, settings: Settings) -> dict[str, Any]:
    """The published inputSchema: `instance_id` is required exactly when no default is configured."""
    schema = spec.arguments.model_json_schema()
    schema.pop("title", None)
    required = [name for name in schema.get("required", []) if name != "instance_id"]
    if settings.instance_id is None:
        required.insert(0, "instance_id")
    schema["required"] = required
    return schema


def _query(args: CallControlArguments, settings: Settings, instance_id: str) -> dict[str, str | None]:
    """The API's PascalCase parameters; DeviceId is always sent (the API page marks it required)."""
    return {
        "InstanceId": instance_id,
        "UserId": args.user_id,
        "DeviceId": args.device_id or settings.device_id,
        "JobId": args.job_id,
        "ChannelId": args.channel_id,
    }


def _refusal(settings: Settings, args: CallControlArguments) -> ErrorInfo | str:
    """The instance to use, or why the call is refused before any request."""
    instance_id = args.instance_id or settings.instance_id
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


def _from_api(result: ApiResult) -> CallControlResult:
    if result.error is not None:
        return CallControlResult(ok=False, request_id=result.request_id, error=result.error)
    try:
        data = CallControlData.model_validate(result.data or {})
    except ValidationError:
        error = describe(
            "Response.Malformed",
            "CCC answered OK but its CallContext/UserContext could not be read.",
            http_status=result.http_status,
        )
        return CallControlResult(ok=False, request_id=result.request_id, error=error)
    return CallControlResult(
        ok=True, request_id=result.request_id, call_context=data.call_context, user_context=data.user_context
    )


def to_tool_result(result: CallControlResult) -> CallToolResult:
    """Structured content plus the same JSON as text (several hosts read only the text)."""
    structured = result.model_dump(mode="json")
    return CallToolResult(
        content=[TextContent(type="text", text=json.dumps(structured, ensure_ascii=False))],
        structured_content=structured,
        is_error=not result.ok,
    )


async def run_call_control(
    spec: CallControlSpec, app: AppContext, raw_arguments: object
) -> tuple[CallControlResult, CallFacts]:
    """Validate, apply policy, call CCC, map the answer. Returns the result and what to log and audit."""
    args = validate_arguments(spec.arguments, raw_arguments)
    if isinstance(args, ErrorInfo):
        return CallControlResult(ok=False, error=args), CallFacts()
    facts = CallFacts(instance=args.instance_id, user=args.user_id, job=args.job_id, channel=args.channel_id)
    instance = _refusal(app.settings, args)
    if isinstance(instance, ErrorInfo):
        return CallControlResult(ok=False, error=instance), facts
    facts.instance = instance
    outcome = await app.client.call(spec.action, _query(args, app.settings, instance))
    facts.attempts = outcome.attempts
    return _from_api(outcome), facts


def _throttled(limiter: RateLimiter, key: str) -> CallControlResult:
    wait = limiter.retry_after(key)
    error = describe(
        "Throttling",
        f"Too many calls from this client: the limit is {limiter.rate * 60:g} per minute "
        f"with bursts of {limiter.burst:g}.",
        http_status=429,
    )
    error.hint = f"This server is limiting your calls. Wait {wait:.1f} s before calling again."
    return CallControlResult(ok=False, error=error)


def _unexpected(spec: CallControlSpec, exc: Exception) -> CallControlResult:
    """The structured answer to an exception that escaped; logged by type and place, never by value."""
    frame = traceback.extract_tb(exc.__traceback__)[-1] if exc.__traceback__ else None
    where = f"{Path(frame.filename).name}:{frame.lineno}" if frame else "unknown"
    log.error("action=%s outcome=Server.Internal exception=%s at=%s", spec.action, type(exc).__name__, where)
    error = describe("Server.Internal", f"The server failed unexpectedly ({type(exc).__name__}).")
    return CallControlResult(ok=False, error=error)


@dataclass(slots=True)
class CallFacts:
    """What a call was about and how it went, for the log line and the audit record."""

    instance: str | None = None
    user: str | None = None
    job: str | None = None
    channel: str | None = None
    attempts: int = 0


def _log_call(spec: CallControlSpec, result: CallControlResult, facts: CallFacts, latency_ms: float) -> None:
    if not log.isEnabledFor(logging.INFO):
        return
    log.info(
        "action=%s instance=%s user=%s outcome=%s request_id=%s attempts=%s latency_ms=%.1f",
        spec.action,
        facts.instance,
        facts.user,
        _outcome(result),
        result.request_id,
        facts.attempts,
        latency_ms,
    )


def _outcome(result: CallControlResult) -> str:
    return "OK" if result.error is None else result.error.code


async def guarded_call(spec: CallControlSpec, app: AppContext, caller: Caller, raw_arguments: object) -> CallToolResult:
    """One tool call as the server runs it: rate limit, the call itself, the log line, the audit record."""
    started = time.monotonic()
    if app.limiter is not None and not app.limiter.allow(caller.key):
        result, facts = _throttled(app.limiter, caller.key), CallFacts()
    else:
        try:
            result, facts = await run_call_control(spec, app, raw_arguments)
        except Exception as exc:  # a bug of ours must still answer in the published shape
            result, facts = _unexpected(spec, exc), CallFacts()
    latency_ms = (time.monotonic() - started) * 1000
    _log_call(spec, result, facts, latency_ms)
    app.audit.record(
        tool=spec.name,
        caller=str(caller),
        arguments={"instance": facts.instance, "user": facts.user, "job": facts.job, "channel": facts.channel},
        outcome=_outcome(result),
        request_id=result.request_id,
        latency_ms=latency_ms,
    )
    return to_tool_result(result)


class _RawArgumentsTool(Tool):
    """An MCP tool whose handler receives the caller's raw arguments.

    The SDK would validate arguments against a signature-derived model and answer failures with raw
    pydantic text; call-control tools validate themselves so every answer is a structured result.
    """

    async def run(self, arguments: dict[str, Any], context: Any, convert_result: bool = False) -> Any:
        return await self.fn(arguments, context)


class _NoArguments(ArgModelBase):
    pass


def build_tool(spec: CallControlSpec, settings: Settings) -> Tool:
    """An MCP tool for `spec`; `settings` decide the published schema (default instance)."""

    async def handle(arguments: dict[str, Any], ctx: Context) -> CallToolResult:
        app = cast(AppContext, ctx.request_context.lifespan_context)
        return await guarded_call(spec, app, identify(ctx.request_context), arguments)

    handler: Callable[[dict[str, Any], Context], Awaitable[CallToolResult]] = handle
    return _RawArgumentsTool(
        fn=handler,
        name=spec.name,
        title=spec.title,
        description=spec.description,
        parameters=input_schema(spec, settings),
        fn_metadata=FuncMetadata(arg_model=_NoArguments, output_schema=OUTPUT_SCHEMA, output_model=CallControlResult),
        is_async=True,
        annotations=spec.annotations,
    )
