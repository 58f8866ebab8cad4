"""STS credentials: the client sends the security token in the signed `x-acs-security-token` header of every
request (with `x-acs-accesskey-id`, as the official SDK does), and the token, like the AccessKey secret, is
never seen anywhere else: not in a result, not in an error's text, not in any log record even at DEBUG, not in
the `repr` of the key or of its provider.

The token and the secret are canaries: a test fails wherever either turns up."""

from __future__ import annotations

import logging

import httpx
import pytest

from ccc_mcp.api import signing
from ccc_mcp.api.client import ApiResult, CccClient, RetryPolicy
from ccc_mcp.api.credentials import StaticCredentials, describe_source, resolve_credentials
from ccc_mcp.api.signing import SigningKey
from ccc_mcp.simulator import Scenario, default_scenario, running_simulator
from ccc_mcp.simulator.demo_cast import DEMO_INSTANCE_ID, DEMO_USER_ID
from ccc_mcp.simulator.scenario import CredentialSpec
from tests.fakes import FAKE_ENDPOINT, FakeCcc, ccc_error, gateway_error

STS_SECRET = "sts-SECRET-canary-8c1e4a"
STS_TOKEN = "sts-TOKEN-canary-2b9f7d"
STS_KEY = SigningKey("sts-access-key-id", STS_SECRET, STS_TOKEN)
STALE_TOKEN = "sts-TOKEN-stale-canary-61d0"  # a token the gateway no longer accepts
CANARIES = (STS_SECRET, STS_TOKEN, STALE_TOKEN)
PARAMS = {"InstanceId": "ccc-test", "UserId": "agent@ccc-test", "DeviceId": "dev"}
WATCHED_LOGGERS = ("", "ccc_mcp", "httpx", "httpcore", "aiohttp", "uvicorn", "starlette")


def assert_no_canary(*texts: str) -> None:
    for text in texts:
        leaked = [canary for canary in CANARIES if canary in text]
        assert not leaked, f"{leaked} leaked into: {text}"


@pytest.fixture
def debug_log(caplog: pytest.LogCaptureFixture) -> pytest.LogCaptureFixture:
    """Every log record at DEBUG and above, from every logger the client or its HTTP stack writes to."""
    for name in WATCHED_LOGGERS:
        caplog.set_level(logging.DEBUG, logger=name)
    assert logging.getLogger("ccc_mcp.api.client").isEnabledFor(logging.DEBUG)
    return caplog


def logged_text(caplog: pytest.LogCaptureFixture) -> list[str]:
    """Each record as a handler would write it (exception text included), plus its raw arguments."""
    formatter = logging.Formatter("%(name)s %(levelname)s %(message)s")
    return [f"{formatter.format(record)} {record.args!r}" for record in caplog.records]


def result_text(result: ApiResult) -> list[str]:
    texts = [result.model_dump_json(), repr(result)]
    if result.error is not None:
        texts += [result.error.message, result.error.hint, str(result.error)]
    return texts


def sts_client(transport: httpx.AsyncBaseTransport | None, endpoint: str = FAKE_ENDPOINT,
               key: SigningKey = STS_KEY) -> CccClient:
    async def no_wait(seconds: float) -> None:
        return None

    return CccClient(
        endpoint=endpoint,
        credentials=StaticCredentials(key, source="environment"),
        retry=RetryPolicy(max_attempts=3, deadline=10.0, backoff_base=0.01, backoff_cap=0.02),
        transport=transport,
        sleep=no_wait,
    )


async def call(client: CccClient) -> ApiResult:
    try:
        return await client.call("UnmuteCall", PARAMS)
    finally:
        await client.aclose()


# --- on the wire: the token travels, signed -------------------------------------------------------------

ANSWERS: dict[str, list[httpx.Response | Exception]] = {
    "success": [],
    "business-error": [ccc_error(400, "InvalidOperation.UserState", "User state (READY) is wrong.", ["READY"])],
    "token-expired": [gateway_error(400, "InvalidSecurityToken.Expired")],
    "retried-5xx": [gateway_error(503, "ServiceUnavailable")],
    "retried-network-then-malformed": [httpx.ConnectError("refused"), httpx.Response(200, content=b"<html>")],
    "retries-exhausted": [httpx.ReadTimeout("slow")] * 3,
}


@pytest.mark.parametrize("answers", list(ANSWERS.values()), ids=list(ANSWERS))
async def test_every_attempt_carries_the_token_in_a_signed_header(answers: list[httpx.Response | Exception]) -> None:
    fake = FakeCcc(key=STS_KEY)
    fake.answer(*answers)
    await call(sts_client(fake.transport()))
    assert fake.seen, "at least one request was sent"
    for seen in fake.seen:
        assert seen.headers["x-acs-security-token"] == STS_TOKEN
        assert seen.headers["x-acs-accesskey-id"] == STS_KEY.access_key_id
        parsed = signing.parse_authorization(seen.headers["authorization"])
        assert parsed is not None
        assert {"x-acs-security-token", "x-acs-accesskey-id"} <= set(parsed.signed_header_names)
        assert seen.signature_valid, "signed with the STS secret, token included"


async def test_a_gateway_that_checks_sts_tokens_accepts_the_request() -> None:
    """The simulator's gateway refuses a request without its credential's token, or with another one."""
    async with running_simulator(scenario=sts_scenario(STS_TOKEN)) as sim:
        result = await unmute(sim.endpoint, STS_KEY)
        no_token = await unmute(sim.endpoint, SigningKey(STS_KEY.access_key_id, STS_SECRET))
        stale = await unmute(sim.endpoint, SigningKey(STS_KEY.access_key_id, STS_SECRET, STALE_TOKEN))
    assert result.ok, result.error
    assert no_token.error is not None
    assert no_token.error.code == "MissingSecurityToken"
    assert stale.error is not None
    assert stale.error.code == "InvalidSecurityToken.Expired"
    assert_no_canary(*result_text(result), *result_text(no_token), *result_text(stale))


def sts_scenario(token: str) -> Scenario:
    """The demo cast, reachable only with the STS credential whose secret and token are the canaries."""
    scenario = default_scenario()
    sts = CredentialSpec(
        access_key_id=STS_KEY.access_key_id, access_key_secret=STS_SECRET, security_token=token, user_id=DEMO_USER_ID
    )
    return scenario.model_copy(update={"credentials": [sts]})


async def unmute(endpoint: str, key: SigningKey) -> ApiResult:
    client = sts_client(None, endpoint, key)  # the real HTTP stack, on loopback
    try:
        return await client.call("UnmuteCall", {"InstanceId": DEMO_INSTANCE_ID, "UserId": DEMO_USER_ID})
    finally:
        await client.aclose()


# --- nowhere else: results, errors, logs, reprs -------------------------------------------------------------

@pytest.mark.parametrize("answers", list(ANSWERS.values()), ids=list(ANSWERS))
async def test_the_token_and_secret_appear_in_no_result_or_log_record(
    debug_log: pytest.LogCaptureFixture, answers: list[httpx.Response | Exception]
) -> None:
    fake = FakeCcc(key=STS_KEY)
    fake.answer(*answers)
    result = await call(sts_client(fake.transport()))
    assert_no_canary(*result_text(result), *logged_text(debug_log))


async def test_the_token_appears_in_no_log_record_of_a_real_exchange(debug_log: pytest.LogCaptureFixture) -> None:
    """Client, HTTP stack and simulator all logging at DEBUG: accepted, refused and stale-token calls."""
    async with running_simulator(scenario=sts_scenario(STS_TOKEN)) as sim:
        await unmute(sim.endpoint, STS_KEY)
        await unmute(sim.endpoint, SigningKey(STS_KEY.access_key_id, STS_SECRET, STALE_TOKEN))
    assert debug_log.records, "the exchange logged something, so the check below has something to look at"
    assert_no_canary(*logged_text(debug_log))


def test_reprs_of_the_key_and_its_provider_hide_the_token_and_secret() -> None:
    provider = resolve_credentials(
        {
            "ALIBABA_CLOUD_ACCESS_KEY_ID": STS_KEY.access_key_id,
            "ALIBABA_CLOUD_ACCESS_KEY_SECRET": STS_SECRET,
            "ALIBABA_CLOUD_SECURITY_TOKEN": STS_TOKEN,
        }
    )
    texts = [repr(STS_KEY), str(STS_KEY), repr(provider), str(provider), describe_source(provider),
             repr(StaticCredentials(STS_KEY)), repr(sts_client(None))]
    assert_no_canary(*texts)
    assert STS_KEY.access_key_id in repr(STS_KEY), "the id is not secret: it says which key is in use"
    assert "security_token=<set>" in repr(STS_KEY)
