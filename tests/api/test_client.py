"""The CCC client: what goes on the wire, how answers map to results, and how it retries."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import httpx
import pytest

from ccc_mcp.api.client import ApiResult, CccClient, RetryPolicy, Timeouts, endpoint_for
from ccc_mcp.api.credentials import CredentialsMissingError, StaticCredentials
from ccc_mcp.api.signing import SigningKey
from tests.fakes import FAKE_ENDPOINT, SAMPLE_RESPONSE, TEST_KEY, FakeCcc, ccc_error, gateway_error

PARAMS = {"InstanceId": "ccc-test", "UserId": "agent@ccc-test", "DeviceId": "dev", "JobId": None}


def make(fake: FakeCcc, *, attempts: int = 3, deadline: float = 5.0, sleeps: list[float] | None = None,
         **kwargs: Any) -> CccClient:
    async def record_sleep(seconds: float) -> None:
        if sleeps is not None:
            sleeps.append(seconds)

    return CccClient(
        endpoint=FAKE_ENDPOINT,
        credentials=StaticCredentials(TEST_KEY),
        retry=RetryPolicy(max_attempts=attempts, deadline=deadline, backoff_base=0.01, backoff_cap=0.05),
        transport=fake.transport(),
        sleep=record_sleep,
        **kwargs,
    )


async def call(client: CccClient) -> ApiResult:
    try:
        return await client.call("UnmuteCall", PARAMS)
    finally:
        await client.aclose()


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
    sleeps: list[float] = []
    fake_ccc.answer(*[gateway_error(503, "ServiceUnavailable") for _ in range(5)])
    await call(make(fake_ccc, attempts=4, sleeps=sleeps))
    assert len(sleeps) == 3
    assert all(0 <= s <= 0.05 for s in sleeps)


async def test_retry_after_is_honoured(fake_ccc: FakeCcc) -> None:
    sleeps: list[float] = []
    fake_ccc.answer(gateway_error(400, "Throttling.User", headers={"x-acs-retry-after": "1.5"}))
    result = await call(make(fake_ccc, sleeps=sleeps))
    assert result.ok
    assert sleeps == [1.5]


async def test_retry_after_beyond_the_deadline_stops_and_says_so(fake_ccc: FakeCcc) -> None:
    fake_ccc.answer(gateway_error(400, "Throttling.User", headers={"x-acs-retry-after": "30"}))
    result = await call(make(fake_ccc, deadline=2.0))
    assert result.error is not None
    assert result.error.code == "Throttling.User"
    assert result.attempts == 1
    assert "30 s" in result.error.hint


async def test_non_transient_errors_are_not_retried(fake_ccc: FakeCcc) -> None:
    fake_ccc.answer(gateway_error(400, "SignatureDoesNotMatch"))
    result = await call(make(fake_ccc))
    assert result.attempts == 1
    assert len(fake_ccc.seen) == 1


async def test_one_overall_deadline_bounds_a_hanging_upstream() -> None:
    async def hang(request: httpx.Request) -> httpx.Response:
        await asyncio.sleep(30)
        return httpx.Response(200)

    client = CccClient(
        endpoint=FAKE_ENDPOINT,
        credentials=StaticCredentials(TEST_KEY),
        retry=RetryPolicy(max_attempts=3, deadline=0.3, backoff_base=0.01, backoff_cap=0.02),
        transport=httpx.MockTransport(hang),
    )
    started = time.monotonic()
    result = await call(client)
    elapsed = time.monotonic() - started
    assert result.error is not None
    assert result.error.code == "Network.Timeout"
    assert result.error.retryable
    assert elapsed < 2.0, f"the 0.3 s deadline held the whole call (took {elapsed:.2f} s)"


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
