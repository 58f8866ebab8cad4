"""Fast path: handshake-era `tools/list` and `tools/call` over stateless HTTP answered in the request's own
exchange (architecture.md §4, "Stateless HTTP"), as the SDK answers a 2026-era request.

What it relies on of the SDK, each looked up and checked through `internals` when it is installed
(`answer_requests_in_their_exchange`), and pinned by tests/mcpserver/test_sdk_pins.py: the stateless session
manager sends every handshake-era request to `_handle_stateless_request(protocol_version_hint, scope,
receive, send)`, looked up on the manager per request (so it can be replaced per manager), and keeps its
lifespan's state in `_lifespan_state`; the SDK's own single-exchange dispatch context
(`_SingleExchangeDispatchContext`, of its 2026-era path) serves a request with no back channel; `serve_one`
runs the kernel; how the dispatcher maps a handler's exception; the checks the SDK's transport makes before
dispatching, and its 500 when handling fails outside the handler.

At run time, a failure of those internals (building the dispatch context or the connection raises) is not a
failed request: that request is answered the SDK's way, and the exchange is off for the rest of the process,
said once (a WARNING). A failure of the handler is the handler's: mapped as the SDK's dispatcher maps it.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any, TypeAlias

from mcp.server.connection import Connection
from mcp.server.mcpserver import MCPServer
from mcp.server.runner import serve_one
from mcp.server.streamable_http import check_accept_headers
from mcp.server.streamable_http_manager import StreamableHTTPSessionManager
from mcp.server.transport_security import TransportSecurityMiddleware
from mcp.shared.jsonrpc_dispatcher import handler_exception_to_error_data
from mcp.shared.message import ServerMessageMetadata
from mcp.shared.transport_context import TransportContext
from mcp_types import (
    DEFAULT_NEGOTIATED_VERSION,
    INTERNAL_ERROR,
    ErrorData,
    JSONRPCError,
    JSONRPCRequest,
    JSONRPCResponse,
    jsonrpc_message_adapter,
)
from pydantic_core import from_json
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import Message, Receive, Scope, Send

from ccc_mcp.mcpserver.internals import (
    Unusable,
    attribute,
    called_by_name,
    fall_back,
    module_attribute,
    require_class,
    require_parameters,
)
from ccc_mcp.net.replay import replaying

__all__ = ["answer_requests_in_their_exchange"]

_ANSWERED_IN_EXCHANGE = frozenset({"tools/list", "tools/call"})
_JSON = "application/json"
_FAST_PATH = "answering tools/list and tools/call in their HTTP exchange"
_PUBLIC_WAY = "the SDK's stateless handling of every request (a transport and a task per request)"
_log = logging.getLogger(__name__)

# The SDK internals, by name (internals.py).
_MANAGER = "StreamableHTTPSessionManager"
_HANDLER = "_handle_stateless_request"
_DISPATCHER = "_handle_request"
_LIFESPAN_STATE = "_lifespan_state"
_MODERN = "mcp.server._streamable_http_modern"
_CONTEXT = "_SingleExchangeDispatchContext"

StatelessHandler: TypeAlias = Callable[[str | None, Scope, Receive, Send], Awaitable[None]]


def answer_requests_in_their_exchange(server: MCPServer[Any]) -> bool:
    """Answer `tools/list` and `tools/call` POSTs of the handshake era in the request's own task, as the SDK
    answers a 2026-era request, instead of through a transport, memory streams and a task of their own per
    request: the same checks, the same kernel (`serve_one`) and the same bytes, for a fifth less CPU per
    call. Every other request (another method, a notification, anything the SDK would refuse) goes the SDK's
    way. Only for a stateless server with JSON responses, the one kind `transports.streamable_http` builds.
    Returns False, having said why once, when an SDK internal it needs is missing or changed."""
    manager = server.session_manager
    if not (manager.stateless and manager.json_response):
        raise ValueError("only a stateless server with JSON responses answers requests in their exchange")
    try:
        exchange = _Exchange(manager)
    except Unusable as exc:
        fall_back(_FAST_PATH, str(exc), _PUBLIC_WAY)
        return False
    setattr(manager, _HANDLER, exchange.handle)
    return True


def _checked_handler(manager: StreamableHTTPSessionManager) -> StatelessHandler:
    """The manager's stateless handler, called (and replaceable) as the SDK's manager calls it."""
    handler: StatelessHandler = attribute(manager, _HANDLER, _MANAGER)
    require_parameters(handler, f"{_MANAGER}.{_HANDLER}", ("protocol_version_hint", "scope", "receive", "send"))
    dispatcher = attribute(type(manager), _DISPATCHER, _MANAGER)
    called_by_name(dispatcher, _HANDLER, f"{_MANAGER}.{_DISPATCHER}")
    attribute(manager, _LIFESPAN_STATE, _MANAGER)
    return handler


def _checked_context() -> type:
    """The SDK's dispatch context of one exchange, built with these fields."""
    name = f"{_MODERN}.{_CONTEXT}"
    context = require_class(module_attribute(_MODERN, _CONTEXT), name)
    require_parameters(context, name, ("transport", "request_id", "message_metadata"), exact=False)
    return context


class _Exchange:
    """The exchange of one server: its pieces checked when installed, on until one of them fails at run time."""

    def __init__(self, manager: StreamableHTTPSessionManager) -> None:
        self.manager = manager
        self.sdk_way = _checked_handler(manager)
        self.context = _checked_context()
        require_parameters(
            serve_one, "mcp.server.runner.serve_one",
            ("server", "dctx", "method", "params", "connection", "lifespan_state"), exact=False,
        )  # fmt: skip
        self.security = TransportSecurityMiddleware(manager.security_settings)
        self.on = True

    async def handle(self, protocol_version: str | None, scope: Scope, receive: Receive, send: Send) -> None:
        request = Request(scope, receive)
        if not self.on or request.method != "POST" or not _posts_json(request):
            await self.sdk_way(protocol_version, scope, receive, send)
            return
        refused = await self.security.validate_request(request, is_post=True)
        if refused is not None:
            await refused(scope, receive, send)
            return
        try:
            body = await request.body()
        except Exception:
            await _failed_post(scope, receive, send)
            return
        message = _request_answered_here(body)
        prepared = None if message is None else self._prepare(request, message, protocol_version)
        if message is None or prepared is None:
            read: Message = {"type": "http.request", "body": body, "more_body": False}
            await self.sdk_way(protocol_version, scope, replaying([read], receive), send)
            return
        try:
            answer = await _answer(self.manager, message, *prepared)
        except Exception:
            await _failed_post(scope, receive, send)
            return
        await Response(answer, status_code=200, headers={"Content-Type": _JSON})(scope, receive, send)

    def _prepare(
        self, request: Request, message: JSONRPCRequest, protocol_version: str | None
    ) -> tuple[Any, Connection, Any] | None:
        """The SDK's dispatch context and connection for `message`, and the lifespan's state; None (the
        exchange then off, said once) when the SDK's internals fail to make them."""
        try:
            context = self.context(  # the SDK's own, for its 2026-era exchange: no back channel
                transport=TransportContext(kind="streamable-http", can_send_request=False),
                request_id=message.id,
                message_metadata=ServerMessageMetadata(request_context=request, can_send_request=False),
            )
            version = protocol_version if protocol_version is not None else DEFAULT_NEGOTIATED_VERSION
            return context, Connection.from_envelope(version, None, None), getattr(self.manager, _LIFESPAN_STATE)
        except Exception as exc:
            if self.on:
                self.on = False
                problem = f"building an exchange raised {type(exc).__name__}: {exc}"
                fall_back(_FAST_PATH, problem, _PUBLIC_WAY + ", from this request on")
            return None


async def _failed_post(scope: Scope, receive: Receive, send: Send) -> None:
    """The SDK transport's answer to a POST whose handling failed outside the handler."""
    _log.exception("Error handling POST request")
    error = ErrorData(code=INTERNAL_ERROR, message="Error handling POST request")
    body = JSONRPCError(jsonrpc="2.0", id=None, error=error).model_dump_json(by_alias=True, exclude_unset=True)
    await Response(body, status_code=500, headers={"Content-Type": _JSON})(scope, receive, send)


def _posts_json(request: Request) -> bool:
    """What the SDK's transport requires of a POST before reading it, in JSON-response mode: the client
    accepts JSON, and sends it."""
    content_type = request.headers.get("content-type", "")
    sent = any(part.strip() == _JSON for part in content_type.split(";")[0].split(","))
    return sent and check_accept_headers(request)[0]


def _request_answered_here(body: bytes) -> JSONRPCRequest | None:
    """The body's request if it is one answered here; None for whatever else (left to the SDK, which also
    answers what is wrong with it)."""
    try:
        message = jsonrpc_message_adapter.validate_python(from_json(body), by_name=False)
    except ValueError:  # not JSON, or not a JSON-RPC message (pydantic's ValidationError is a ValueError)
        return None
    if isinstance(message, JSONRPCRequest) and message.method in _ANSWERED_IN_EXCHANGE:
        return message
    return None


async def _answer(
    manager: StreamableHTTPSessionManager, message: JSONRPCRequest, context: Any, connection: Connection, state: Any
) -> str:
    """The JSON-RPC answer to `message`, as the SDK's stateless path writes it: a born-ready connection at the
    request's protocol version, no back channel, and its dispatcher's mapping of a handler's exception."""
    reply: JSONRPCResponse | JSONRPCError
    try:
        result = await serve_one(
            manager.app, context, message.method, message.params, connection=connection, lifespan_state=state
        )
        reply = JSONRPCResponse(jsonrpc="2.0", id=message.id, result=result)
    except Exception as exc:
        error = handler_exception_to_error_data(exc)
        if error is None:  # the SDK's dispatcher answers these with code 0 and the exception's text
            _log.exception("handler for %r raised", message.method)
            error = ErrorData(code=0, message=str(exc))
        reply = JSONRPCError(jsonrpc="2.0", id=message.id, error=error)
    return reply.model_dump_json(by_alias=True, exclude_unset=True)
