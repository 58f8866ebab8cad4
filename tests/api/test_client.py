"""The CCC client: what goes on the wire, how answers map to results, and how it retries."""

from __future__ import annotations

import asyncio
import contextlib
import time
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ccc_mcp.api.client import MAX_BODY_BYTES, ApiResult, AttemptRecord, CccClient, RetryPolicy, Timeouts, endpoint_for
from ccc_mcp.api.credentials import CredentialsMissingError, StaticCredentials
from ccc_mcp.api.signing import SigningKey, canonical_query
from tests.fakes import FAKE_ENDPOINT, SAMPLE_RESPONSE, TEST_KEY, FakeCcc, Responder, ccc_error, gateway_error

PARAMS = {"InstanceId": "ccc-test", "UserId": "agent@ccc-test", "DeviceId": "dev", "JobId": None}

# Fails a hang instead of waiting forever. Not a measurement: where it is used, the call ends in well under a
# second when the client is right and never ends (or only after 1000 s) when it is wrong.
HANG_SAFETY_NET = 30.0


@dataclass
class FakeClock:
    """The client's monotonic clock, moved only by the test: by the client's back-off sleeps (recorded), and
    by an upstream that "takes" time (`takes`). Deadline outcomes then cannot depend on the machine's load."""

    now: float = 0.0
    sleeps: list[float] = field(default_factory=list)

    def __call__(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


def takes(clock: FakeClock, seconds: float, answer: httpx.Response) -> Responder:
    """An upstream answer that arrives `seconds` after the request, on `clock`."""

    def respond(request: httpx.Request) -> httpx.Response:
        clock.now += seconds
        return answer

    return respond


def make(fake: FakeCcc, *, attempts: int = 3, deadline: float = 5.0, clock: FakeClock | None = None,
         **kwargs: Any) -> CccClient:
    """A client of the fake CCC whose time is `clock` (a fresh FakeClock unless given): it never really sleeps."""
    clock = clock or FakeClock()
    return CccClient(
        endpoint=FAKE_ENDPOINT,
        credentials=StaticCredentials(TEST_KEY),
        retry=RetryPolicy(max_attempts=attempts, deadline=deadline, backoff_base=0.01, backoff_cap=0.05),
        transport=fake.transport(),
        sleep=clock.sleep,
        clock=clock,
        **kwargs,
    )


async def call(client: CccClient) -> ApiResult:
    try:
        return await client.call("UnmuteCall", PARAMS)
    finally:
        await client.aclose()


async def call_or_hang(client: CccClient) -> ApiResult:
    try:
        async with asyncio.timeout(HANG_SAFETY_NET):
            return await call(client)
    except TimeoutError:
        pytest.fail(f"the call still hung after {HANG_SAFETY_NET:g} s: the deadline did not cut the attempt")


# --- the wire -----------------------------------------------------------------------------------------

async def test_sends_a_signed_post_with_the_parameters_in_the_query(fake_ccc: FakeCcc) -> None:
    result = await call(make(fake_ccc))
    assert result.ok
    [seen] = fake_ccc.seen
    assert seen.method == "POST"
    assert seen.query == {"InstanceId": "ccc-test", "UserId": "agent@ccc-test", "DeviceId": "dev"}
    assert seen.signature_valid
    assert seen.headers["x-acs-action"] == "UnmuteCall"
    assert seen.headers["x-acs-version"] == "2020-07-01"
    assert seen.headers["host"] == "127.0.0.1:9"
    assert seen.headers["accept"] == "application/json"


async def test_query_is_encoded_like_the_canonical_form(fake_ccc: FakeCcc) -> None:
    client = make(fake_ccc)
    await client.call("UnmuteCall", {"UserId": "a b*c~d/e+f=g&h", "InstanceId": "中文"})
    await client.aclose()
    assert fake_ccc.seen[0].query == {"UserId": "a b*c~d/e+f=g&h", "InstanceId": "中文"}
    assert fake_ccc.seen[0].signature_valid


@settings(max_examples=300, deadline=None)
@given(
    endpoint=st.sampled_from(["https://ccc.aliyuncs.com", "http://127.0.0.1:9", "http://[::1]:8080/ccc/v1"]),
    params=st.dictionaries(st.text(min_size=1, max_size=12), st.text(max_size=40), max_size=5),
)
def test_the_request_url_is_the_one_httpx_parses_from_the_same_text(endpoint: str, params: dict[str, str]) -> None:
    """The client swaps only the query into the endpoint's parsed URL instead of parsing each request's URL
    (api/client.py `_url`); whatever the values, that must be exactly the URL httpx makes of the text."""
    query = canonical_query(params)
    built = CccClient(endpoint=endpoint, credentials=StaticCredentials(TEST_KEY))._url(query)
    parsed = httpx.URL(f"{endpoint}/?{query}")
    assert built == parsed
    assert (str(built), built.raw_path, built.host, built.port) == (str(parsed), parsed.raw_path, parsed.host,
                                                                     parsed.port)


async def test_success_returns_data_and_request_id(fake_ccc: FakeCcc) -> None:
    result = await call(make(fake_ccc))
    assert result.request_id == "EEEE671A-3E24-4A04-81E6-6C4F5B39DF75"
    assert result.data == SAMPLE_RESPONSE["Data"]
    assert result.attempts == 1
    assert result.error is None


@pytest.mark.parametrize(
    ("region", "expected"),
    [("cn-shanghai", "https://ccc.cn-shanghai.aliyuncs.com"), ("ap-southeast-1", "https://ccc.aliyuncs.com"),
     ("cn-beijing", "https://ccc.aliyuncs.com"), ("xx-new-1", "https://ccc.xx-new-1.aliyuncs.com")],
)
def test_endpoint_follows_the_sdk_region_rules(region: str, expected: str) -> None:
    assert endpoint_for(region) == expected


def test_explicit_endpoint_wins() -> None:
    assert endpoint_for("cn-shanghai", "http://127.0.0.1:9000") == "http://127.0.0.1:9000"
    assert endpoint_for("cn-shanghai", "ccc.example.com") == "https://ccc.example.com"


# --- errors --------------------------------------------------------------------------------------------

async def test_business_error_keeps_code_status_params_and_request_id(fake_ccc: FakeCcc) -> None:
    fake_ccc.answer(ccc_error(
        400, "InvalidOperation.UserState",
        "The operation is not allowed. User state (READY) does not meet expectations (TALKING).",
        ["READY", "TALKING"],
    ))
    result = await call(make(fake_ccc))
    assert not result.ok
    assert result.error is not None
    assert (result.error.code, result.error.http_status, result.error.params) == (
        "InvalidOperation.UserState", 400, ["READY", "TALKING"]
    )
    assert result.request_id == "REQ-InvalidOperation.UserState"
    assert "READY" in result.error.hint
    assert result.attempts == 1, "business errors are not retried"


@pytest.mark.parametrize(
    "body",
    [
        {"Code": "InternalService.CTI", "HttpStatusCode": 500, "Message": "An internal CTI service error occurred.",
         "RequestId": "R-2", "Params": []},
        {"Code": "Forbidden.NoPermission", "Success": False, "Message": "No permission.", "RequestId": "R-2"},
        {"Code": "Throttling.User", "RequestId": "R-2"},
    ],
    ids=["ccc-envelope", "success-false", "bare-code"],
)
async def test_a_200_whose_body_names_an_error_code_is_that_error(fake_ccc: FakeCcc, body: dict[str, Any]) -> None:
    """The HTTP status alone does not make a success: CCC's envelope says OK, or it is the error it names."""
    fake_ccc.answer(httpx.Response(200, json=body))
    result = await call(make(fake_ccc, attempts=1))
    assert not result.ok
    assert result.error is not None
    assert (result.error.code, result.error.http_status, result.request_id) == (body["Code"], 200, "R-2")
    assert result.data is None


async def test_gateway_error_body_is_understood(fake_ccc: FakeCcc) -> None:
    fake_ccc.answer(gateway_error(404, "InvalidAccessKeyId.NotFound"))
    result = await call(make(fake_ccc))
    assert result.error is not None
    assert result.error.code == "InvalidAccessKeyId.NotFound"
    assert result.error.http_status == 404
    assert result.request_id == "REQ-InvalidAccessKeyId.NotFound"
    assert not result.error.retryable


@pytest.mark.parametrize(
    ("body", "content_type"),
    [(b"<html><body>502 Bad Gateway</body></html>", "text/html"), (b"", "application/json"),
     (b'{"Code": "OK", "Data": {', "application/json"), (b"[1, 2]", "application/json"),
     (b"\xff\xfe garbage", "application/octet-stream")],
    ids=["html", "empty", "truncated", "not-an-object", "binary"],
)
async def test_unreadable_bodies_become_response_malformed(fake_ccc: FakeCcc, body: bytes, content_type: str) -> None:
    fake_ccc.answer(httpx.Response(200, content=body, headers={"content-type": content_type}))
    result = await call(make(fake_ccc))
    assert result.error is not None
    assert result.error.code == "Response.Malformed"
    assert result.error.http_status == 200
    assert content_type in result.error.message
    assert result.attempts == 1, "a 200 with a bad body is not one of the retried failures"


@pytest.mark.parametrize(
    "body",
    [b'\xef\xbb\xbf{"Code": "OK", "RequestId": "R-1", "Data": {}}',
     '{"Code": "OK", "RequestId": "R-1", "Data": {}}'.encode("utf-16"),
     b'{"Code": "OK", "RequestId": "R-1", "Message": "\\ud800", "Data": {}}'],
    ids=["byte-order-mark", "utf-16", "unpaired-surrogate-escape"],
)
async def test_answers_json_reads_are_read_whatever_the_fast_path_refuses(fake_ccc: FakeCcc, body: bytes) -> None:
    """The client reads answers in one pass with pydantic (api/answers.py `_envelope`); what that refuses but a
    JSON reader accepts is still CCC's answer, not Response.Malformed."""
    fake_ccc.answer(httpx.Response(200, content=body, headers={"content-type": "application/json"}))
    result = await call(make(fake_ccc))
    assert (result.ok, result.request_id) == (True, "R-1")


async def test_an_endpoint_httpx_cannot_parse_is_a_failed_call_not_an_exception() -> None:
    """`call` never raises for what the network can do: a host name httpx refuses fails each call instead."""
    client = CccClient(endpoint="https://ä_b.example.com", credentials=StaticCredentials(TEST_KEY))
    result = await client.call("UnmuteCall", PARAMS)
    assert result.error is not None
    assert (result.ok, result.error.code) == (False, "Network.Error")


async def test_credentials_missing_is_reported_without_a_request(fake_ccc: FakeCcc) -> None:
    class NoCredentials:
        source = "none"

        async def get_key(self) -> SigningKey:
            raise CredentialsMissingError("Set ALIBABA_CLOUD_ACCESS_KEY_ID and ALIBABA_CLOUD_ACCESS_KEY_SECRET.")

    client = CccClient(endpoint=FAKE_ENDPOINT, credentials=NoCredentials(), transport=fake_ccc.transport())
    result = await call(client)
    assert result.error is not None
    assert result.error.code == "Credentials.Missing"
    assert not result.error.retryable
    assert fake_ccc.seen == []


# --- retries --------------------------------------------------------------------------------------------

@pytest.mark.parametrize(
    "first",
    [gateway_error(503, "ServiceUnavailable"), gateway_error(500, "InternalError"),
     gateway_error(400, "Throttling.User"), gateway_error(429, "Throttling.Api"),
     httpx.Response(502, content=b"<html>bad gateway</html>"),
     httpx.ConnectError("refused"), httpx.ReadTimeout("slow")],
    ids=["503", "500", "throttling-400", "throttling-429", "html-502", "connect-error", "read-timeout"],
)
async def test_transient_failures_are_retried_with_fresh_signatures(
    fake_ccc: FakeCcc, first: httpx.Response | Exception
) -> None:
    fake_ccc.answer(first)
    result = await call(make(fake_ccc))
    assert result.ok
    assert result.attempts == 2
    assert len(fake_ccc.seen) == 2
    assert all(seen.signature_valid for seen in fake_ccc.seen)
    nonces = {seen.headers["x-acs-signature-nonce"] for seen in fake_ccc.seen}
    assert len(nonces) == 2, "every attempt carries a new nonce"


async def test_attempts_are_bounded_and_the_last_error_is_returned(fake_ccc: FakeCcc) -> None:
    fake_ccc.answer(*[gateway_error(503, "ServiceUnavailable") for _ in range(5)])
    result = await call(make(fake_ccc, attempts=3))
    assert result.error is not None
    assert result.error.code == "ServiceUnavailable"
    assert result.error.retryable
    assert result.attempts == 3
    assert len(fake_ccc.seen) == 3


async def test_backoff_is_jittered_and_capped(fake_ccc: FakeCcc) -> None:
    clock = FakeClock()
    fake_ccc.answer(*[gateway_error(503, "ServiceUnavailable") for _ in range(5)])
    await call(make(fake_ccc, attempts=4, clock=clock))
    assert len(clock.sleeps) == 3
    assert all(0 <= s <= 0.05 for s in clock.sleeps)


async def test_non_transient_errors_are_not_retried(fake_ccc: FakeCcc) -> None:
    fake_ccc.answer(gateway_error(400, "SignatureDoesNotMatch"))
    result = await call(make(fake_ccc))
    assert result.attempts == 1
    assert len(fake_ccc.seen) == 1


# --- the deadline: one for the whole call, on the client's clock (a FakeClock unless a test says otherwise) ----

async def test_the_deadline_stops_retries_before_the_attempts_run_out(fake_ccc: FakeCcc) -> None:
    clock = FakeClock()
    fake_ccc.answer(*[takes(clock, 2.0, gateway_error(503, "ServiceUnavailable")) for _ in range(10)])
    result = await call(make(fake_ccc, attempts=10, deadline=5.0, clock=clock))
    # Attempts end at 2 s, 4 s (each followed by a back-off of at most 0.05 s) and 6 s: past the 5 s deadline,
    # so no fourth attempt, though nine more were allowed. The last attempt's error is the answer.
    assert result.attempts == 3
    assert len(fake_ccc.seen) == 3
    assert result.error is not None
    assert result.error.code == "ServiceUnavailable"
    assert len(clock.sleeps) == 2


async def test_an_attempt_gets_only_the_time_that_remains() -> None:
    """The first attempt uses 999.9 s of a 1000 s deadline; the second then has about 0.1 s, and an upstream
    that never answers is cut off when that runs out (MockTransport has no timeouts of its own)."""
    clock = FakeClock()
    started_at: list[float] = []
    cut_off: list[int] = []

    async def upstream(request: httpx.Request) -> httpx.Response:
        started_at.append(clock.now)
        if len(started_at) == 1:
            clock.now += 999.9
            return gateway_error(503, "ServiceUnavailable")
        try:
            await asyncio.Event().wait()  # never set: no answer, ever
        except asyncio.CancelledError:
            cut_off.append(len(started_at))
            raise
        raise AssertionError("unreachable")

    client = CccClient(
        endpoint=FAKE_ENDPOINT,
        credentials=StaticCredentials(TEST_KEY),
        retry=RetryPolicy(max_attempts=2, deadline=1000.0, backoff_base=0.01, backoff_cap=0.05),
        transport=httpx.MockTransport(upstream),
        sleep=clock.sleep,
        clock=clock,
    )
    result = await call_or_hang(client)
    assert result.error is not None
    assert result.error.code == "Network.Timeout"
    assert "within the deadline" in result.error.message
    assert result.error.retryable
    assert result.attempts == 2
    assert cut_off == [2], "the second attempt was cancelled, not answered"
    assert 999.9 <= started_at[1] < 1000.0


async def test_a_hanging_upstream_is_cut_at_the_deadline_and_not_retried() -> None:
    """With the default clock (time.monotonic): the one attempt is cut when the deadline passes, and none
    follows, however long the machine took to get there."""

    async def hang(request: httpx.Request) -> httpx.Response:
        await asyncio.Event().wait()  # never set
        raise AssertionError("unreachable")

    client = CccClient(
        endpoint=FAKE_ENDPOINT,
        credentials=StaticCredentials(TEST_KEY),
        retry=RetryPolicy(max_attempts=3, deadline=0.3, backoff_base=0.01, backoff_cap=0.02),
        transport=httpx.MockTransport(hang),
    )
    result = await call_or_hang(client)
    assert result.error is not None
    assert result.error.code == "Network.Timeout"
    assert result.error.retryable
    assert result.attempts == 1, "the deadline had passed, so no second attempt"


async def test_retry_after_is_honoured(fake_ccc: FakeCcc) -> None:
    clock = FakeClock()
    started_at: list[float] = []

    def record(answer: httpx.Response) -> Responder:
        def respond(request: httpx.Request) -> httpx.Response:
            started_at.append(clock.now)
            return answer

        return respond

    fake_ccc.answer(
        record(gateway_error(400, "Throttling.User", headers={"x-acs-retry-after": "1.5"})),
        record(httpx.Response(200, json=SAMPLE_RESPONSE)),
    )
    result = await call(make(fake_ccc, clock=clock))
    assert result.ok
    assert clock.sleeps == [1.5], "the wait is CCC's 1.5 s, not the (shorter) jittered back-off"
    assert started_at == [0.0, 1.5]


async def test_retry_after_is_honoured_on_an_answer_that_is_not_json(fake_ccc: FakeCcc) -> None:
    """A gateway's HTML error page can ask for a wait too; a success's header is never read."""
    clock = FakeClock()
    page = httpx.Response(503, text="<html>busy</html>", headers={"x-acs-retry-after": "2"})
    fake_ccc.answer(page, httpx.Response(200, json=SAMPLE_RESPONSE, headers={"x-acs-retry-after": "9"}))
    result = await call(make(fake_ccc, clock=clock))
    assert result.ok
    assert result.retry_after is None
    assert clock.sleeps == [2.0], "the wait is the one the unreadable answer asked for"


@pytest.mark.parametrize(
    ("first_attempt", "retry_after", "attempts"),
    [(2.5, 2.0, 2), (2.5, 3.0, 1), (0.0, 30.0, 1)],
    ids=["wait-ends-inside", "wait-ends-past-the-deadline", "wait-longer-than-the-deadline"],
)
async def test_retry_after_is_honoured_only_within_the_deadline(
    fake_ccc: FakeCcc, first_attempt: float, retry_after: float, attempts: int
) -> None:
    """Deadline 5 s: a retry happens only if the time spent plus CCC's wait ends inside it; otherwise the
    throttling error is the answer, and its hint passes CCC's wait on."""
    clock = FakeClock()
    throttled = gateway_error(400, "Throttling.User", headers={"x-acs-retry-after": f"{retry_after:g}"})
    fake_ccc.answer(takes(clock, first_attempt, throttled))
    result = await call(make(fake_ccc, deadline=5.0, clock=clock))
    assert result.attempts == attempts
    assert len(fake_ccc.seen) == attempts
    if attempts == 2:
        assert result.ok
        assert clock.sleeps == [retry_after]
    else:
        assert result.error is not None
        assert result.error.code == "Throttling.User"
        assert clock.sleeps == []
        assert f"wait {retry_after:g} s" in result.error.hint


# --- the real transport on loopback ---------------------------------------------------------------------

async def _loopback_server(handler: Any) -> tuple[asyncio.Server, str]:
    server = await asyncio.start_server(handler, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    return server, f"http://127.0.0.1:{port}"


async def test_aiohttp_transport_reports_a_dropped_connection_as_network_error() -> None:
    async def drop(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.readuntil(b"\r\n\r\n")
        writer.close()

    server, endpoint = await _loopback_server(drop)
    async with server:
        client = CccClient(
            endpoint=endpoint, credentials=StaticCredentials(TEST_KEY),
            retry=RetryPolicy(max_attempts=2, deadline=5, backoff_base=0.01, backoff_cap=0.02),
        )
        result = await call(client)
    assert result.error is not None
    assert result.error.code == "Network.Error"
    assert result.attempts == 2


async def test_aiohttp_transport_reports_a_refused_connection() -> None:
    server, endpoint = await _loopback_server(lambda r, w: None)
    server.close()
    await server.wait_closed()
    client = CccClient(
        endpoint=endpoint, credentials=StaticCredentials(TEST_KEY),
        timeouts=Timeouts(connect=1, read=1), retry=RetryPolicy(max_attempts=1, deadline=3),
    )
    result = await call(client)
    assert result.error is not None
    assert result.error.code in ("Network.Error", "Network.Timeout")
    assert "Connect" in result.error.message or "connect" in result.error.message


async def test_aiohttp_transport_reads_a_real_answer() -> None:
    body = httpx.Response(200, json=SAMPLE_RESPONSE).content

    async def answer(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.readuntil(b"\r\n\r\n")
        writer.write(b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: "
                     + str(len(body)).encode() + b"\r\nconnection: close\r\n\r\n" + body)
        await writer.drain()
        writer.close()

    server, endpoint = await _loopback_server(answer)
    async with server:
        result = await call(CccClient(endpoint=endpoint, credentials=StaticCredentials(TEST_KEY)))
    assert result.ok
    assert result.request_id == "EEEE671A-3E24-4A04-81E6-6C4F5B39DF75"


async def test_requests_of_one_tool_call_share_its_deadline(fake_ccc: FakeCcc) -> None:
    """A tool that looks ids up first makes two requests: the second gets only what the first left of the
    one deadline, counted from `started`, not a fresh deadline of its own."""
    clock = FakeClock()
    client = make(fake_ccc, attempts=3, deadline=2.0, clock=clock)
    fake_ccc.answer(takes(clock, 1.5, httpx.Response(200, json=SAMPLE_RESPONSE)))
    started = client.now()
    first = await client.call("PollUserStatus", {"InstanceId": "ccc-test"}, started=started)
    clock.now += 1.0  # the second request starts 2.5 s into a 2 s budget
    second = await client.call("HoldCall", {"InstanceId": "ccc-test"}, started=started)
    assert first.ok
    assert second.error is not None
    assert second.error.code == "Network.Timeout"
    assert second.attempts == 1
    assert len(fake_ccc.seen) == 1, "with no time left, the second request is not sent at all"


# --- the real transport: body cap, timeouts, connection reuse, cancellation ------------------------------


def _http_answer(body: bytes) -> bytes:
    head = f"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {len(body)}\r\n\r\n"
    return head.encode() + body


async def test_an_answer_larger_than_the_cap_is_cut_and_reported_malformed() -> None:
    """Only MAX_BODY_BYTES of an answer are read: a huge body cannot exhaust the server's memory."""
    huge = b'{"RequestId": "' + b"x" * (3 * MAX_BODY_BYTES) + b'"}'

    async def answer(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.readuntil(b"\r\n\r\n")
        with contextlib.suppress(ConnectionError):
            writer.write(_http_answer(huge))
            await writer.drain()
        writer.close()

    server, endpoint = await _loopback_server(answer)
    async with server:
        result = await call(CccClient(endpoint=endpoint, credentials=StaticCredentials(TEST_KEY)))
    assert result.error is not None
    assert result.error.code == "Response.Malformed"
    read = int(result.error.message.split("(")[1].split(" bytes")[0])
    assert 0 < read <= MAX_BODY_BYTES


async def test_sequential_calls_reuse_one_connection() -> None:
    connections: list[int] = []
    body = httpx.Response(200, json=SAMPLE_RESPONSE).content

    async def keep_alive(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        connections.append(1)
        with contextlib.suppress(asyncio.IncompleteReadError, ConnectionError):
            while True:
                await reader.readuntil(b"\r\n\r\n")
                writer.write(_http_answer(body))
                await writer.drain()

    server, endpoint = await _loopback_server(keep_alive)
    async with server:
        client = CccClient(endpoint=endpoint, credentials=StaticCredentials(TEST_KEY))
        try:
            results = [await client.call("UnmuteCall", PARAMS) for _ in range(3)]
        finally:
            await client.aclose()
    assert all(result.ok for result in results)
    assert len(connections) == 1


async def test_the_read_timeout_setting_cuts_a_silent_upstream_before_the_deadline() -> None:
    """`Timeouts.read` reaches the transport: the attempt ends as the transport's read timeout, not as the
    (far longer) deadline; the two report differently."""

    async def silent(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.readuntil(b"\r\n\r\n")
        await reader.read()  # never answers; returns when the client closes

    server, endpoint = await _loopback_server(silent)
    async with server:
        client = CccClient(
            endpoint=endpoint, credentials=StaticCredentials(TEST_KEY),
            timeouts=Timeouts(connect=1, read=0.2), retry=RetryPolicy(max_attempts=1, deadline=HANG_SAFETY_NET),
        )
        result = await call_or_hang(client)
    assert result.error is not None
    assert result.error.code == "Network.Timeout"
    assert "within the deadline" not in result.error.message


async def test_cancelling_a_call_aborts_its_request() -> None:
    """A cancelled tool call (its client gave up) must not leave the request running: the upstream sees the
    connection close."""
    received, closed = asyncio.Event(), asyncio.Event()

    async def hang(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.readuntil(b"\r\n\r\n")
        received.set()
        await reader.read()  # EOF: the client closed the connection
        closed.set()

    server, endpoint = await _loopback_server(hang)
    async with server:
        client = CccClient(endpoint=endpoint, credentials=StaticCredentials(TEST_KEY))
        task = asyncio.create_task(client.call("UnmuteCall", PARAMS))
        async with asyncio.timeout(HANG_SAFETY_NET):
            await received.wait()
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
            await client.aclose()
            await closed.wait()
    assert task.cancelled()


async def test_an_observer_hears_every_attempt(fake_ccc: FakeCcc) -> None:
    """Telemetry's view of a call: one record per attempt, numbered, with what each attempt got."""
    records: list[AttemptRecord] = []
    fake_ccc.answer(gateway_error(503, "ServiceUnavailable"), httpx.Response(200, json=SAMPLE_RESPONSE))
    result = await call(make(fake_ccc, on_attempt=records.append))
    assert result.ok
    assert [(r.number, r.http_status, r.error_code, r.retryable) for r in records] == [
        (1, 503, "ServiceUnavailable", True),
        (2, 200, None, False),
    ]
    assert records[1].request_id == result.request_id
    assert all(r.start_ns <= r.end_ns for r in records)


async def test_each_request_is_dated_now_in_utc_to_the_second(fake_ccc: FakeCcc) -> None:
    """`x-acs-date` is the wall clock's current second (formatted once a second, not per request): the gateway
    refuses a date 15 minutes off. Checked against the seconds around the call, in UTC."""
    before = time.time()
    await call(make(fake_ccc))
    after = time.time()
    [seen] = fake_ccc.seen
    stamps = {time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(second)) for second in range(int(before), int(after) + 1)}
    assert seen.headers["x-acs-date"] in stamps
