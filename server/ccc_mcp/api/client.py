"""The CCC OpenAPI client: endpoint, one pooled HTTP client, signing, retries and error mapping.

`CccClient.call` never raises for anything the network or CCC can do: every failure comes back as an
`ApiResult` with a structured error (`api.answers` reads each answer), so callers (the MCP tools) only map
results. Each attempt is dated, nonced and signed afresh (the gateway rejects a replayed nonce), retries are
bounded, jittered, honour `x-acs-retry-after`, and all of it happens inside one overall deadline.

The HTTP stack is httpx on aiohttp's engine (`httpx-aiohttp`): httpx's default transport stalls under
concurrency (encode/httpx#3215), see docs/architecture.md §4. Each request is an `httpx.Request` handed
straight to that transport: an `httpx.AsyncClient` would add cookie, auth, redirect and event-hook machinery
that a signed POST to one host never uses (measured in §4). Both are imported on first use, not at start-up.
The proxy, if the environment names one, is chosen once when the client is built (`api.proxies`).
"""

from __future__ import annotations

import asyncio
import logging
import os
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

from ccc_mcp import __version__
from ccc_mcp.api import signing
from ccc_mcp.api.answers import ApiResult, failure, is_transient, outcome_unknown, parse_answer, transport_failure
from ccc_mcp.api.credentials import CredentialsMissingError, CredentialsProvider
from ccc_mcp.api.dates import utc_now
from ccc_mcp.api.endpoints import endpoint_for
from ccc_mcp.api.proxies import ProxyChoice, proxy_for

if TYPE_CHECKING:
    import httpx
    from tenacity import RetryCallState

__all__ = ["MAX_BODY_BYTES", "ApiResult", "AttemptRecord", "CccClient", "RetryPolicy", "Timeouts", "endpoint_for"]

API_VERSION = "2020-07-01"
USER_AGENT = f"ccc-mcp-server/{__version__}"
MAX_BODY_BYTES = 1 << 20

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """At most `max_attempts` tries within `deadline` seconds, full-jitter exponential back-off."""

    max_attempts: int = 3
    deadline: float = 15.0
    backoff_base: float = 0.2
    backoff_cap: float = 2.0


@dataclass(frozen=True, slots=True)
class Timeouts:
    connect: float = 5.0
    read: float = 10.0


@dataclass(frozen=True, slots=True)
class AttemptRecord:
    """One attempt of a call, as it went: what an `on_attempt` observer (telemetry) is told afterwards.
    Times are wall-clock nanoseconds (`time.time_ns()`), the form tracing systems take."""

    action: str
    number: int  # 1-based
    start_ns: int
    end_ns: int
    http_status: int | None
    request_id: str | None
    error_code: str | None
    retryable: bool


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
        environ: Mapping[str, str] | None = None,
        on_attempt: Callable[[AttemptRecord], None] | None = None,
    ) -> None:
        self.endpoint = endpoint.rstrip("/")
        self.host = self.endpoint.split("://", 1)[-1].split("/", 1)[0]
        self.credentials = credentials
        self.timeouts = timeouts or Timeouts()
        self.retry = retry or RetryPolicy()
        # Read once, here: a process talks to one endpoint, so the proxy never changes per request.
        self.proxy: ProxyChoice | None = proxy_for(self.endpoint, os.environ if environ is None else environ)
        if self.proxy is not None:
            log.info("CCC requests go through the proxy %s (from %s)", self.proxy.shown, self.proxy.variable)
        self._transport_given = transport
        self._transport: httpx.AsyncBaseTransport | None = transport
        self._base_url: httpx.URL | None = None  # the endpoint, parsed on first use (`_url`)
        self._sleep = sleep
        self._clock = clock  # monotonic seconds, for the deadline (tests inject a fake one)
        self._on_attempt = on_attempt
        self._timeout_extension = {
            "connect": self.timeouts.connect,
            "read": self.timeouts.read,
            "write": self.timeouts.read,
            "pool": self.timeouts.connect,
        }

    def _pool(self) -> httpx.AsyncBaseTransport:
        """The pooled transport, created on first use so start-up never imports the HTTP stack."""
        if self._transport is None:
            import httpx
            from httpx_aiohttp import AiohttpTransport

            self._transport = AiohttpTransport(
                limits=httpx.Limits(max_connections=100, max_keepalive_connections=32),
                proxy=_httpx_proxy(self.proxy) if self.proxy is not None else None,
            )
        return self._transport

    def now(self) -> float:
        """The client's monotonic clock: where a caller's shared deadline (`call(started=...)`) starts."""
        return self._clock()

    async def aclose(self) -> None:
        """Close the pool, as httpx's own client closes its transport; one made here is made anew on next use."""
        if self._transport is not None:
            await self._transport.aclose()
            self._transport = self._transport_given if self._transport_given is not None else None

    async def call(
        self,
        action: str,
        params: Mapping[str, str | None],
        *,
        form: Mapping[str, str | None] | None = None,
        version: str = API_VERSION,
        started: float | None = None,
        retry: bool = True,
    ) -> ApiResult:
        """Run one action to completion: a success, or the last attempt's structured error.

        `params` travel in the query; `form` (only ListRealtimeAgentStates has one) in a form-encoded body
        whose content type and SHA-256 are signed. Unset (None) values are left off the wire, as the SDK does.
        The deadline counts from `started` (on `now()`'s clock; default: now), so that several requests made
        for one tool call share one deadline. `retry=False` leaves a transient failure to the caller (the
        list_calls fan-out backs off for all its requests together).
        """
        query = {name: value for name, value in params.items() if value is not None}
        fields = {name: value for name, value in (form or {}).items() if value is not None}
        body = signing.form_body(fields) if fields else b""
        started = self._clock() if started is None else started
        first = await self._attempt(action, version, query, body, started, 1)
        if retry and is_transient(first) and self.retry.max_attempts > 1:
            result, attempts, outcomes = await self._retry(first, action, version, query, body, started)
        else:
            result, attempts, outcomes = first, 1, [first]
        result.attempts = attempts
        result.earlier_outcome_unknown = any(outcome_unknown(earlier) for earlier in outcomes[:-1])
        if result.error is not None and result.retry_after:
            result.error.hint += f" CCC asked to wait {result.retry_after:g} s before retrying."
        return result

    async def _retry(
        self, first: ApiResult, action: str, version: str, query: dict[str, str], body: bytes, started: float
    ) -> tuple[ApiResult, int, list[ApiResult]]:
        """Attempts 2..n, by tenacity, which is imported only now: most calls never need it. The first
        attempt's outcome is replayed as tenacity's attempt 1, so its back-off and stop count it."""
        from tenacity import AsyncRetrying, retry_if_result
        from tenacity.wait import wait_random_exponential

        policy = self.retry
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
            retry=retry_if_result(is_transient),
            retry_error_callback=lambda state: state.outcome.result() if state.outcome else None,
            sleep=self._sleep,
        )
        outcomes: list[ApiResult] = [first]
        replay = [first]  # attempt 1 already ran, outside tenacity

        async def attempt() -> ApiResult:
            if replay:
                return replay.pop()
            outcomes.append(await self._attempt(action, version, query, body, started, len(outcomes) + 1))
            return outcomes[-1]

        result: ApiResult = await retrying(attempt)
        return result, retrying.statistics.get("attempt_number", 1), outcomes

    async def _attempt(
        self, action: str, version: str, query: dict[str, str], body: bytes, started: float, number: int
    ) -> ApiResult:
        """One signed request, its outcome mapped; the observer, if any, hears how it went."""
        start_ns = time.time_ns() if self._on_attempt is not None else 0
        result = await self._attempt_once(action, version, query, body, started)
        if self._on_attempt is not None:
            record = AttemptRecord(
                action=action,
                number=number,
                start_ns=start_ns,
                end_ns=time.time_ns(),
                http_status=result.http_status,
                request_id=result.request_id,
                error_code=result.error.code if result.error is not None else None,
                retryable=is_transient(result),
            )
            try:
                self._on_attempt(record)
            except Exception as exc:  # whatever the observer does wrong never reaches the call
                log.warning("on_attempt failed (%s); the call goes on", type(exc).__name__)
        return result

    async def _attempt_once(
        self, action: str, version: str, query: dict[str, str], body: bytes, started: float
    ) -> ApiResult:
        remaining = self.retry.deadline - (self._clock() - started)
        if remaining <= 0:  # an earlier request of the same tool call used the whole deadline
            return failure(action, "Network.Timeout", "The call's deadline passed before this request was sent.")
        try:
            key = await self.credentials.get_key()
        except CredentialsMissingError as exc:
            return failure(action, "Credentials.Missing", str(exc))
        query_text = signing.canonical_query(query)
        headers = signing.signed_request_headers(
            key=key,
            host=self.host,
            action=action,
            version=version,
            query=query_text,
            date=utc_now(),
            nonce=signing.new_nonce(),
            extra_signed={"content-type": signing.FORM_CONTENT_TYPE} if body else None,
            body_sha256=signing.body_sha256(body),
        )
        try:
            url = self._url(query_text)
            async with asyncio.timeout(max(remaining, 0.001)):
                status, response_headers, answer = await self._send(url, headers, body)
        except TimeoutError:
            return failure(action, "Network.Timeout", f"No answer from {self.host} within the deadline.")
        except Exception as exc:
            return transport_failure(action, self.host, exc)
        return parse_answer(action, status, response_headers, answer)

    def _url(self, query: str) -> httpx.URL:
        """The endpoint with `query` (the canonical query, as signed), as an `httpx.URL`.

        Built from the endpoint's URL, parsed once, with only the query replaced: httpx parses a URL string
        in Python, character by character (≈ 19 µs per request in `timeit`; the costliest step of building
        one). The canonical query is percent-encoded ASCII (`signing.percent_encode`), which httpx's parser
        leaves as it is; tests/api/test_client.py pins that both ways give the same URL. This relies on
        httpx's private `URL._uri_reference` (a NamedTuple); an httpx without it gets its URLs parsed."""
        import httpx

        if self._base_url is None:
            self._base_url = httpx.URL(f"{self.endpoint}/")
        parsed = getattr(self._base_url, "_uri_reference", None)
        if not isinstance(parsed, tuple) or not hasattr(parsed, "_replace"):
            return httpx.URL(f"{self.endpoint}/?{query}")
        url = httpx.URL.__new__(httpx.URL)
        url._uri_reference = parsed._replace(query=query)
        return url

    async def _send(
        self, url: httpx.URL, headers: dict[str, str], body: bytes
    ) -> tuple[int, Mapping[str, str], bytes]:
        """POST through the pooled transport; the answer is read up to MAX_BODY_BYTES and the rest dropped
        (closing the response returns the connection to the pool, or discards it if unread bytes remain)."""
        import httpx

        headers["accept"] = "application/json"
        headers["user-agent"] = USER_AGENT
        request = httpx.Request(
            "POST", url, headers=headers, content=body or None, extensions={"timeout": self._timeout_extension}
        )
        response = await self._pool().handle_async_request(request)
        try:
            return response.status_code, response.headers, await _read_capped(response.aiter_bytes())
        finally:
            await response.aclose()


async def _read_capped(chunks: AsyncIterator[bytes]) -> bytes:
    """The answer's bytes up to MAX_BODY_BYTES; the rest is left unread (a huge body cannot exhaust memory)."""
    kept: list[bytes] = []
    size = 0
    async for chunk in chunks:
        size += len(chunk)
        if size > MAX_BODY_BYTES:
            break
        kept.append(chunk)
    return b"".join(kept)


def _httpx_proxy(choice: ProxyChoice) -> httpx.Proxy:
    """The proxy for the transport, its credentials as a Proxy-Authorization header: aiohttp deprecates the
    `proxy_auth` argument the transport would otherwise use for them."""
    import base64

    import httpx

    url = httpx.URL(choice.url)
    if not url.username and not url.password:
        return httpx.Proxy(url)
    credentials = base64.b64encode(f"{url.username}:{url.password}".encode()).decode()
    bare = url.copy_with(username=None, password=None)
    return httpx.Proxy(bare, headers={"proxy-authorization": f"Basic {credentials}"})
