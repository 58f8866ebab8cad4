"""Bytes on the wire: JSON answers, and the misbehaving answers fault rules ask for.

Dropping a connection without answering is below what ASGI can express (an app that returns without a
response gets a 500 from the server), so the outermost app stashes the connection's transport in the
scope (`TRANSPORT_KEY`) and a drop closes it, then waits for the server to notice the disconnect.
"""

from __future__ import annotations

import asyncio
from typing import Any

from pydantic_core import to_json
from starlette.responses import Response
from starlette.types import Receive, Scope, Send

from ccc_mcp.simulator.actions import ccc_error_envelope, gateway_error_body
from ccc_mcp.simulator.faults import ErrorFault, FaultRule, MalformedFault, ThrottleFault, TrickleFault, TruncatedFault
from ccc_mcp.simulator.wire_errors import CCC_ERRORS, GATEWAY_ERRORS, CccError, GatewayError

__all__ = [
    "TRANSPORT_KEY",
    "DroppedConnection",
    "TrickleResponse",
    "TruncatedResponse",
    "disconnected_within",
    "fault_response",
    "json_bytes",
    "json_response",
    "transport_of",
]

JSON_CONTENT_TYPE = "application/json;charset=utf-8"
TRANSPORT_KEY = "ccc_sim.transport"

_HTML_502 = (
    b"<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n<center><h1>502 Bad Gateway</h1>"
    b"</center>\r\n<hr/>Powered by Tengine</body>\r\n</html>\r\n"
)
_MALFORMED: dict[str, tuple[bytes, str]] = {
    "html": (_HTML_502, "text/html"),
    "text": (b"upstream connect error or disconnect/reset before headers", "text/plain"),
    "empty": (b"", JSON_CONTENT_TYPE),
    "garbage": (b"\x1f\x8b\x08 {Code: OK, not json", JSON_CONTENT_TYPE),
}


def json_bytes(payload: Any) -> bytes:
    """Compact UTF-8 JSON, the bytes `json.dumps(payload, ensure_ascii=False, separators=(",", ":"))` gives
    for the simulator's plain trees, made by pydantic-core: a 100-row page of a floor in ~0.1 ms, not ~0.3."""
    return to_json(payload)


def json_response(
    payload: Any, status: int, request_id: str | None = None, headers: dict[str, str] | None = None
) -> Response:
    """A JSON answer with the gateway's exact content type and (for API answers) `x-acs-request-id`."""
    extra = dict(headers or {})
    if request_id is not None:
        extra["x-acs-request-id"] = request_id
    return Response(json_bytes(payload), status_code=status, headers=extra, media_type=JSON_CONTENT_TYPE)


def transport_of(send: Send) -> asyncio.BaseTransport | None:
    """The connection's transport, from uvicorn's bound `send` (None under other servers)."""
    transport = getattr(getattr(send, "__self__", None), "transport", None)
    return transport if isinstance(transport, asyncio.BaseTransport) else None


async def disconnected_within(receive: Receive, seconds: float) -> bool:
    """Wait up to `seconds` for the client's disconnect: True if it came, False on time-out."""
    try:
        async with asyncio.timeout(seconds):
            while (await receive())["type"] != "http.disconnect":
                pass
    except TimeoutError:
        return False
    return True


async def drop_connection(scope: Scope, receive: Receive) -> None:
    """Close the connection now, whatever was (or was not) sent, and wait until the server sees it."""
    transport = scope.get(TRANSPORT_KEY)
    if not isinstance(transport, asyncio.BaseTransport):
        raise ConnectionAbortedError("simulated dropped connection (no transport to close)")
    transport.close()
    await disconnected_within(receive, 2)


class DroppedConnection(Response):
    """No answer at all: the client sees the connection close."""

    def __init__(self) -> None:
        super().__init__(b"")

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await drop_connection(scope, receive)


class TruncatedResponse(Response):
    """The real answer cut short. With `lie`, Content-Length promises the whole body and the connection
    closes after the part; with `match`, Content-Length is the part's (a complete but invalid JSON body)."""

    def __init__(self, real: Response, rule: TruncatedFault) -> None:
        self.real = real
        self.rule = rule
        super().__init__(b"", status_code=real.status_code)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        body = bytes(self.real.body)
        part = body[: max(1, int(len(body) * self.rule.keep))] if body else b""
        lying = self.rule.content_length == "lie"
        headers = [(k, v) for k, v in self.real.raw_headers if k != b"content-length"]
        headers.append((b"content-length", str(len(body) if lying else len(part)).encode()))
        await send({"type": "http.response.start", "status": self.real.status_code, "headers": headers})
        await send({"type": "http.response.body", "body": part, "more_body": lying})
        if lying:
            await drop_connection(scope, receive)


class TrickleResponse(Response):
    """The real answer, sent a few bytes at a time (a slow or congested upstream)."""

    def __init__(self, real: Response, rule: TrickleFault) -> None:
        self.real = real
        self.rule = rule
        super().__init__(b"", status_code=real.status_code)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        body = bytes(self.real.body)
        await send({"type": "http.response.start", "status": self.real.status_code, "headers": self.real.raw_headers})
        step = self.rule.chunk_bytes
        transport = scope.get(TRANSPORT_KEY)
        for start in range(0, len(body), step):
            if isinstance(transport, asyncio.BaseTransport) and transport.is_closing():
                return
            last = start + step >= len(body)
            await send({"type": "http.response.body", "body": body[start : start + step], "more_body": not last})
            if not last:
                await asyncio.sleep(self.rule.interval_ms / 1000)
        if not body:
            await send({"type": "http.response.body", "body": b"", "more_body": False})


def fault_response(rule: FaultRule, request_id: str, host_id: str) -> Response:
    """The answer that replaces the real one for `error`, `throttle` and `malformed` rules."""
    if isinstance(rule, MalformedFault):
        body, media_type = _MALFORMED[rule.body]
        return Response(body, status_code=rule.status, media_type=media_type)
    headers: dict[str, str] = {}
    if isinstance(rule, ErrorFault | ThrottleFault) and rule.retry_after is not None:
        headers["x-acs-retry-after"] = str(rule.retry_after)
    if isinstance(rule, ErrorFault) and rule.style == "ccc":
        template_known = rule.code in CCC_ERRORS
        message = rule.message if rule.message is not None or template_known else rule.code
        error = CccError(rule.code, *rule.params, status=rule.status, message=message)
        return json_response(ccc_error_envelope(request_id, error), rule.status, request_id, headers)
    if isinstance(rule, ErrorFault | ThrottleFault):
        message = getattr(rule, "message", None)
        if message is None and rule.code not in GATEWAY_ERRORS:
            message = "The request has failed due to a simulated fault."
        gateway = GatewayError(rule.code, status=rule.status, message=message)
        return json_response(gateway_error_body(request_id, host_id, gateway), rule.status, request_id, headers)
    raise ValueError(f"fault kind {rule.kind!r} does not replace the answer")
