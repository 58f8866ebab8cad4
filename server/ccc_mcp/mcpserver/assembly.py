"""The MCPServer: the published tools, its instructions, and the lifespan that owns the one CCC client."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING

from mcp.server.mcpserver import MCPServer

from ccc_mcp import __version__
from ccc_mcp.api.credentials import CredentialsProvider, resolve_credentials
from ccc_mcp.api.endpoints import endpoint_for
from ccc_mcp.config.settings import Settings
from ccc_mcp.mcpserver.internals import SWITCH
from ccc_mcp.mcpserver.narrowing import ToolNarrowing
from ccc_mcp.mcpserver.sdk_tools import Toolset, build_mcp_tool
from ccc_mcp.mcpserver.spans import without_sdk_spans
from ccc_mcp.policy.audit import AuditLog
from ccc_mcp.telemetry.recording import attempt_hook, limiter_error, spans_recorded
from ccc_mcp.tools.base import AppState
from ccc_mcp.tools.call_lines import CallLines
from ccc_mcp.tools.guidance import Guide
from ccc_mcp.tools.registry import select_tools
from ccc_mcp.tools.warmup import build_when_idle

if TYPE_CHECKING:
    import httpx

    from ccc_mcp.api.client import CccClient
    from ccc_mcp.policy.ratelimit import RateLimiter

__all__ = ["build_server"]

SERVER_NAME = "ccc-mcp-server"

log = logging.getLogger(__name__)


def instructions(published: frozenset[str]) -> str:
    """The server's instructions for this deployment: they name only tools it publishes."""
    guide = Guide(published)
    return (
        "Controls live calls in Alibaba Cloud Contact Center (CCC). Agents are named by user id (name@instance); "
        "a call is a job id with channels, one per party."
        + guide.mention("list_agents", "Find an agent's user id with list_agents.")
        + guide.mention(
            "get_agent_status", "Look at an agent's call with get_agent_status before acting, and again to verify."
        )
        + " Every result has ok and request_id and, on failure, error with a code, whether retrying can help, "
        "and a hint on what to do next."
    )


def make_client(
    settings: Settings,
    credentials: CredentialsProvider | None = None,
    transport: httpx.AsyncBaseTransport | None = None,
) -> CccClient:
    """The one CCC client, made when the first call needs it (`AppState.client`): its modules are imported
    then, or on the idle turns after the first listing (`tools.warmup`), not by a server's start."""
    from ccc_mcp.api.client import CccClient, RetryPolicy, Timeouts

    endpoint = endpoint_for(settings.region, settings.endpoint)
    return CccClient(
        endpoint=endpoint,
        credentials=credentials or resolve_credentials(),
        timeouts=Timeouts(connect=settings.connect_timeout, read=settings.read_timeout),
        retry=RetryPolicy(max_attempts=settings.max_attempts, deadline=settings.deadline),
        transport=transport,
        on_attempt=attempt_hook(endpoint),  # None while telemetry is off
    )


def rate_limiter(settings: Settings) -> RateLimiter:
    """The per-client limiter, counting in memory or in the configured Redis (policy/ratelimit.py); HTTP only,
    so imported only there."""
    from ccc_mcp.policy.ratelimit import RateLimiter

    storage = settings.rate_limit_storage.get_secret_value()
    return RateLimiter(settings.rate_limit, settings.rate_burst, storage, on_error=limiter_error)


def build_server(
    settings: Settings,
    *,
    credentials: CredentialsProvider | None = None,
    transport: httpx.AsyncBaseTransport | None = None,
    rate_limited: bool = False,
) -> MCPServer[AppState]:
    """The MCP server. `credentials` and `transport` exist for the simulator mode and for tests;
    `rate_limited` for the HTTP transport, which also authenticates callers in front of the server
    (`transports.streamable_http`), so the SDK is given no authentication of its own."""

    @asynccontextmanager
    async def lifespan(_: MCPServer[AppState]) -> AsyncIterator[AppState]:
        resolved = credentials or resolve_credentials()  # now: a server without credentials fails at its start
        limiting = rate_limited and settings.rate_limit > 0
        limiter = rate_limiter(settings) if limiting else None
        lines = CallLines(AuditLog(settings.audit_log))
        app = AppState(settings, lambda: make_client(settings, resolved, transport), limiter, lines)
        try:
            yield app
        finally:  # the calls' last lines first: closing the client may fail or be cancelled
            lines.flush()
            try:
                await app.aclose()
            finally:
                lines.audit.close()

    toolset = Toolset(select_tools(settings.tools, settings.read_only), settings)
    server = MCPServer(
        SERVER_NAME,
        title="Alibaba Cloud Contact Center",
        version=__version__,
        instructions=instructions(toolset.published),
        tools=[build_mcp_tool(spec, toolset) for spec in toolset.specs],
        lifespan=lifespan,
        log_level=settings.log_level,
        middleware=[ToolNarrowing(toolset, instructions, after_first_listing=build_when_idle)],
    )
    if settings.sdk_fast_paths == "off":
        log.info("MCP SDK fast paths off (%s=off): every request is served the SDK's public way", SWITCH)
    elif not spans_recorded():  # no tracer provider: the SDK's span per message would record nothing
        without_sdk_spans(server)
    return server
