"""The CCC OpenAPI client: endpoint, one pooled HTTP client, signing, retries and error mapping.

`CccClient.call` never raises for anything the network or CCC can do: every failure comes back as an
`ApiResult` with a structured error, so callers (the MCP tools) only map results. Each attempt is dated,
nonced and signed afresh (the gateway rejects a replayed nonce), retries are bounded, jittered, honour
`x-acs-retry-after`, and all of it happens inside one overall deadline.

The HTTP stack is httpx on aiohttp's engine (`httpx-aiohttp`): httpx's default transport stalls under
concurrency (encode/httpx#3215), see docs/architecture.md §4. Both are imported on first use, not at start-up.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ValidationError

from ccc_mcp import __version__
from ccc_mcp.api import signing
from ccc_mcp.api.credentials import CredentialsMissingError, CredentialsProvider
from ccc_mcp.api.errors import describe
from ccc_mcp.api.models import ApiEnvelope, ErrorInfo
from ccc_mcp.net.json_body import json_object

if TYPE_CHECKING:
    import httpx
    from tenacity import RetryCallState

__all__ = ["ApiResult", "AttemptRecord", "CccClient", "RetryPolicy", "Timeouts", "endpoint_for"]

API_VERSION = "2020-07-01"
USER_AGENT = f"ccc-mcp-server/{__version__}"
MAX_BODY_BYTES = 1 << 20
RETRY_AFTER_HEADER = "x-acs-retry-after"

# Regions the official SDK sends to the central endpoint; every other region is ccc.{region}.aliyuncs.com.
_CENTRAL_ENDPOINT_REGIONS = frozenset(
    {
        "ap-northeast-1", "ap-south-1", "ap-southeast-1", "ap-southeast-2", "ap-southeast-3",
        "ap-southeast-5", "cn-beijing", "cn-chengdu", "cn-hongkong", "cn-huhehaote", "cn-qingdao",
        "cn-shenzhen", "cn-zhangjiakou", "eu-central-1", "eu-west-1", "me-east-1", "us-east-1",
        "us-west-1", "cn-hangzhou-finance", "cn-shenzhen-finance-1", "cn-shanghai-finance-1",
        "cn-north-2-gov-1",
    }
)  # fmt: skip

log = logging.getLogger(__name__)


def endpoint_for(region: str, override: str | None = None) -> str:
    """Base URL: the explicit override, else the SDK's region rules."""
    if override:
        return override if "://" in override else f"https://{override}"
    if region in _CENTRAL_ENDPOINT_REGIONS:
        return "https://ccc.aliyuncs.com"
    return f"https://ccc.{region}.aliyuncs.com"


class ApiResult(BaseModel):
    """What one `call` produced: data on success, a structured error otherwise."""

    action: str
    ok: bool
    http_status: int | None = None
    request_id: str | None = None
    data: dict[str, Any] | None = None
    error: ErrorInfo | None = None
    attempts: int = 0
    retry_after: float | None = None
    earlier_outcome_unknown: bool = False  # an earlier attempt may have been applied: its answer was lost


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """At most `max_attempts` tries within `deadline` seconds, full-jitter exponential back-off."""

    max_attempts: int = 3
    deadline: float = 15.0
    backoff_base: float = 0.2
    backoff_cap: float = 2.0


@dataclass(frozen=True, slots=True)
class AttemptRecord:
    """One attempt of a `call`, reported after the fact to `CccClient(on_attempt=...)`: what telemetry turns
    into a client span and metric points, without the client knowing of telemetry (docs/architecture.md §6).
    Only ids and outcomes: never a parameter value, a header or a signature."""

    action: str
    number: int  # 1-based
    start_ns: int  # time.time_ns() when the attempt began
    end_ns: int
    http_status: int | None
    request_id: str | None
    error_code: str | None  # None: the attempt succeeded
    retryable: bool  # the outcome is one the client retries (throttling, 5xx, transport failure)


@dataclass(frozen=True, slots=True)
class Timeouts:
    connect: float = 5.0
    read: float = 10.0


class CccClient:
    """Signs and sends CCC RPC actions. One instance (and one connection pool) per process."""

    def __init__(
        self,
        *,
        endpoint: str,
        credentials: CredentialsProvider,
        timeouts: Timeouts | None = None,
        retry: RetryPolicy | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        clock: Callable[[], float] = time.monotonic,
        on_attempt: Callable[[AttemptRecord], None] | None = None,
    ) -> None:
        self.endpoint = endpoint.rstrip("/")
        self.host = self.endpoint.split("://", 1)[-1].split("/", 1)[0]
        self.credentials = credentials
        self.timeouts = timeouts or Timeouts()
        self.retry = retry or RetryPolicy()
        self._transport = transport
        self._sleep = sleep
        self._clock = clock  # monotonic seconds, for the deadline (tests inject a fake one)
        self._http: httpx.AsyncClient | None = None
        self._on_attempt = on_attempt

    def _client(self) -> httpx.AsyncClient:
        """The pooled client, created on first use so start-up never imports the HTTP stack."""
        if self._http is None:
            import httpx

            transport = self._transport
            if transport is None:
                from httpx_aiohttp import AiohttpTransport

                transport = AiohttpTransport(limits=httpx.Limits(max_connections=100, max_keepalive_connections=32))
            self._http = httpx.AsyncClient(
                transport=transport,
                timeout=httpx.Timeout(
                    connect=self.timeouts.connect,
                    read=self.timeouts.read,
                    write=self.timeouts.read,
                    pool=self.timeouts.connect,
                ),
                headers={"accept": "application/json", "user-agent": USER_AGENT},
                follow_redirects=False,
            )
        return self._http

    def now(self) -> float:
        """The client's monotonic clock: where a caller's shared deadline (`call(started=...)`) starts."""
        return self._clock()

    async def aclose(self) -> None:
        if self._http is not None:
            await self._http.aclose()
            self._http = None

    async def call(
        self,
        action: str,
        params: Mapping[str, str | None],
        *,
        form: Mapping[str, str | None] | None = None,
        version: str = API_VERSION,
        started: float | None = None,
    ) -> ApiResult:
        """Run one action to completion: a success, or the last attempt's structured error.

        `params` travel in the query; `form` (only ListRealtimeAgentStates has one) in a form-encoded body
        whose content type and SHA-256 are signed. Unset (None) values are left off the wire, as the SDK does.
        The deadline counts from `started` (on `now()`'s clock; default: now), so that several requests made
        for one tool call share one deadline.
        """
        query = {name: value for name, value in params.items() if value is not None}
        fields = {name: value for name, value in (form or {}).items() if value is not None}
        body = signing.form_body(fields) if fields else b""
        started = self._clock() if started is None else started
        policy = self.retry
        # Imported here, not at start-up: the first call pays ~10 ms once, server start never does.
        from tenacity import AsyncRetrying, retry_if_result
        from tenacity.wait import wait_random_exponential

        backoff = wait_random_exponential(multiplier=policy.backoff_base, max=policy.backoff_cap)

        def wait(state: RetryCallState) -> float:
            jitter = backoff(state)
            last = state.outcome.result() if state.outcome else None
            return max(jitter, last.retry_after or 0.0) if isinstance(last, ApiResult) else jitter

        def stop(state: RetryCallState) -> bool:
            """tenacity's `stop_after_attempt | stop_before_delay(deadline)`, the delay on our clock."""
            out_of_time = self._clock() - started + state.upcoming_sleep >= policy.deadline
            return state.attempt_number >= policy.max_attempts or out_of_time

        retrying = AsyncRetrying(
            stop=stop,
            wait=wait,
            retry=retry_if_result(_is_transient),
            retry_error_callback=lambda state: state.outcome.result() if state.outcome else None,
            sleep=self._sleep,
        )
        outcomes: list[ApiResult] = []

        async def attempt() -> ApiResult:
            begun = time.time_ns()
            outcomes.append(await self._attempt(action, version, query, body, started))
            self._report(action, len(outcomes), begun, outcomes[-1])
            return outcomes[-1]

        result: ApiResult = await retrying(attempt)
        result.attempts = retrying.statistics.get("attempt_number", 1)
        result.earlier_outcome_unknown = any(_outcome_unknown(earlier) for earlier in outcomes[:-1])
        if result.error is not None and result.retry_after:
            result.error.hint += f" CCC asked to wait {result.retry_after:g} s before retrying."
        return result

    def _report(self, action: str, number: int, begun: int, result: ApiResult) -> None:
        """Tell `on_attempt` how an attempt went; whatever it does wrong never reaches the call."""
        if self._on_attempt is None:
            return
        code = result.error.code if result.error is not None else None
        record = AttemptRecord(
            action, number, begun, time.time_ns(), result.http_status, result.request_id, code, _is_transient(result)
        )
        try:
            self._on_attempt(record)
        except Exception as exc:
            log.warning("on_attempt failed (%s); the call goes on", type(exc).__name__)

    async def _attempt(
        self, action: str, version: str, query: dict[str, str], body: bytes, started: float
    ) -> ApiResult:
        remaining = self.retry.deadline - (self._clock() - started)
        if remaining <= 0:  # an earlier request of the same tool call used the whole deadline
            return _failure(action, "Network.Timeout", "The call's deadline passed before this request was sent.")
        try:
            key = await self.credentials.get_key()
        except CredentialsMissingError as exc:
            return _failure(action, "Credentials.Missing", str(exc))
        headers = signing.signed_request_headers(
            key=key,
            host=self.host,
            action=action,
            version=version,
            query=query,
            date=signing.format_date(datetime.now(UTC)),
            nonce=signing.new_nonce(),
            extra_signed={"content-type": signing.FORM_CONTENT_TYPE} if body else None,
            body_sha256=signing.body_sha256(body),
        )
        url = f"{self.endpoint}/?{signing.canonical_query(query)}"
        try:
            async with asyncio.timeout(max(remaining, 0.001)):
                status, response_headers, answer = await self._send(url, headers, body)
        except TimeoutError:
            return _failure(action, "Network.Timeout", f"No answer from {self.host} within the deadline.")
        except Exception as exc:
            return _transport_failure(action, self.host, exc)
        return _parse(action, status, response_headers, answer)

    async def _send(self, url: str, headers: dict[str, str], body: bytes) -> tuple[int, Mapping[str, str], bytes]:
        async with self._client().stream("POST", url, headers=headers, content=body or None) as response:
            chunks: list[bytes] = []
            size = 0
            async for chunk in response.aiter_bytes():
                size += len(chunk)
                if size > MAX_BODY_BYTES:
                    break
                chunks.append(chunk)
            return response.status_code, response.headers, b"".join(chunks)


def _outcome_unknown(result: ApiResult) -> bool:
    """The request may have reached CCC and been applied, but its answer was lost or unreadable."""
    code = result.error.code if result.error is not None else ""
    return code.startswith("Network.") or code == "Response.Malformed"


def _is_transient(result: ApiResult) -> bool:
    """Throttling, 5xx and transport failures are worth another attempt; nothing else is."""
    if result.error is None:
        return False
    code = result.error.code
    if code.startswith(("Network.", "Throttling")) or result.http_status == 429:
        return True
    return result.http_status is not None and result.http_status >= 500


def _failure(action: str, code: str, message: str, http_status: int | None = None) -> ApiResult:
    return ApiResult(
        action=action, ok=False, http_status=http_status, error=describe(code, message, http_status=http_status)
    )


def _transport_failure(action: str, host: str, exc: Exception) -> ApiResult:
    """Name the failure by kind; aiohttp's disconnects arrive dressed as httpx connect timeouts."""
    cause = exc.__cause__ or exc
    kind = type(cause).__name__
    if "Timeout" in kind:
        return _failure(action, "Network.Timeout", f"{host} did not answer in time ({kind}).")
    return _failure(action, "Network.Error", f"The connection to {host} failed ({kind}).")


def _parse(action: str, status: int, headers: Mapping[str, str], body: bytes) -> ApiResult:
    """Map one HTTP answer to a result; bodies that are not a JSON object become Response.Malformed."""
    retry_after = _retry_after(headers.get(RETRY_AFTER_HEADER))
    envelope = _envelope(body)
    if envelope is None:
        kind = headers.get("content-type", "no content type").split(";")[0]
        result = _failure(
            action,
            "Response.Malformed",
            f"CCC answered HTTP {status} with a body that is not a JSON object ({len(body)} bytes, {kind}).",
            http_status=status,
        )
        result.retry_after = retry_after
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
        retry_after=retry_after,
    )


def _envelope(body: bytes) -> ApiEnvelope | None:
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
