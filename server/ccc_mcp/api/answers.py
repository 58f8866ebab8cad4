"""CCC's answers as `ApiResult`s: what one call produced, whether another attempt can help, and how each
HTTP answer (or its absence) maps to a result with a structured error (`api.errors`). No I/O: `api.client`
sends, this reads."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel, ConfigDict, ValidationError

from ccc_mcp.api.errors import describe
from ccc_mcp.api.models import ApiEnvelope, ErrorInfo
from ccc_mcp.net.json_body import json_object

__all__ = [
    "RETRY_AFTER_HEADER",
    "ApiResult",
    "failure",
    "is_transient",
    "outcome_unknown",
    "parse_answer",
    "transport_failure",
]

RETRY_AFTER_HEADER = "x-acs-retry-after"


class ApiResult(BaseModel):
    """What one `call` produced: data on success, a structured error otherwise."""

    model_config = ConfigDict(defer_build=True)  # built on the first call (architecture.md §4, cold start)

    action: str
    ok: bool
    http_status: int | None = None
    request_id: str | None = None
    data: dict[str, Any] | None = None
    error: ErrorInfo | None = None
    attempts: int = 0
    retry_after: float | None = None
    earlier_outcome_unknown: bool = False  # an earlier attempt may have been applied: its answer was lost


def outcome_unknown(result: ApiResult) -> bool:
    """The request may have reached CCC and been applied, but its answer was lost or unreadable."""
    code = result.error.code if result.error is not None else ""
    return code.startswith("Network.") or code == "Response.Malformed"


def is_transient(result: ApiResult) -> bool:
    """Throttling, 5xx and transport failures are worth another attempt; nothing else is."""
    if result.error is None:
        return False
    code = result.error.code
    if code.startswith(("Network.", "Throttling")) or result.http_status == 429:
        return True
    return result.http_status is not None and result.http_status >= 500


def failure(action: str, code: str, message: str, http_status: int | None = None) -> ApiResult:
    return ApiResult(
        action=action, ok=False, http_status=http_status, error=describe(code, message, http_status=http_status)
    )


def transport_failure(action: str, host: str, exc: Exception) -> ApiResult:
    """Name the failure by kind; aiohttp's disconnects arrive dressed as httpx connect timeouts."""
    cause = exc.__cause__ or exc
    kind = type(cause).__name__
    if "Timeout" in kind:
        return failure(action, "Network.Timeout", f"{host} did not answer in time ({kind}).")
    return failure(action, "Network.Error", f"The connection to {host} failed ({kind}).")


def parse_answer(action: str, status: int, headers: Mapping[str, str], body: bytes) -> ApiResult:
    """Map one HTTP answer to a result; bodies that are not a JSON object become Response.Malformed. A
    `Retry-After` is read only for a failure: a success has nothing to wait for."""
    envelope = _envelope(body)
    if envelope is None:
        kind = headers.get("content-type", "no content type").split(";")[0]
        result = failure(
            action,
            "Response.Malformed",
            f"CCC answered HTTP {status} with a body that is not a JSON object ({len(body)} bytes, {kind}).",
            http_status=status,
        )
        result.retry_after = _retry_after(headers.get(RETRY_AFTER_HEADER))
        return result
    code = envelope.code or ("OK" if status == 200 else f"HTTP.{status}")
    if status == 200 and code in ("OK", "200"):
        data = envelope.data if isinstance(envelope.data, dict) else {}
        return ApiResult(action=action, ok=True, http_status=status, request_id=envelope.request_id, data=data)
    message = envelope.message or envelope.recommend or f"CCC answered HTTP {status} with code {code}."
    error = describe(code, message, http_status=status, params=envelope.params)
    return ApiResult(
        action=action,
        ok=False,
        http_status=status,
        request_id=envelope.request_id,
        error=error,
        retry_after=_retry_after(headers.get(RETRY_AFTER_HEADER)),
    )


def _envelope(body: bytes) -> ApiEnvelope | None:
    """The answer as an envelope; None when it is not a JSON object (not JSON, nested too deep, a list) or
    not an envelope. Read straight from its bytes in one pass (no dict first, then a model of it); what that
    refuses but `json.loads` reads (a byte-order mark, UTF-16, an unpaired surrogate escape, nesting past
    pydantic's 200 levels) is read the slower way, so no answer CCC could send is lost to the shortcut."""
    try:
        return ApiEnvelope.model_validate_json(body)
    except ValidationError:
        return _decoded_envelope(body)


def _decoded_envelope(body: bytes) -> ApiEnvelope | None:
    """The slower way: `json.loads`, then the envelope of the dict."""
    decoded = json_object(body)
    if decoded is None:
        return None
    try:
        return ApiEnvelope.model_validate(decoded)
    except ValidationError:
        return None


def _retry_after(value: str | None) -> float | None:
    if value is None:
        return None
    try:
        seconds = float(value)
    except ValueError:
        return None
    return seconds if 0 <= seconds <= 3600 else None
