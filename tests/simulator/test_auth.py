"""The simulated gateway's verification, without HTTP: nonce memory bounds and the date window."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta

import pytest

from ccc_mcp.api.signing import SigningKey, format_date, signed_request_headers
from ccc_mcp.simulator.auth import NonceMemory, SignedRequest, Verifier
from ccc_mcp.simulator.centre import Credential
from ccc_mcp.simulator.demo_cast import default_scenario
from ccc_mcp.simulator.scenario import build_state
from ccc_mcp.simulator.state import SimulatorState
from ccc_mcp.simulator.wire_errors import GatewayError

NOW = datetime(2024, 1, 1, tzinfo=UTC)
QUERY = {"InstanceId": "ccc-demo"}


class Clock:
    def __init__(self, value: float = 0.0) -> None:
        self.value = value

    def __call__(self) -> float:
        return self.value


def request(date: datetime = NOW, nonce: str = "n1") -> SignedRequest:
    headers = signed_request_headers(
        key=SigningKey("sim-access-key-id", "sim-access-key-secret"), host="127.0.0.1:9000",
        action="UnmuteCall", version="2020-07-01", query=QUERY, date=format_date(date), nonce=nonce,
    )
    return SignedRequest("POST", "/", QUERY, headers)


def verifier() -> Verifier:
    return Verifier(build_state(default_scenario()), clock=lambda: NOW.timestamp())


def test_nonces_expire_after_the_window() -> None:
    clock = Clock()
    memory = NonceMemory(window_seconds=900, clock=clock)
    assert memory.check_and_remember("a")
    assert not memory.check_and_remember("a")
    clock.value = 901
    assert memory.check_and_remember("a")  # forgotten, so fresh again
    assert len(memory) == 1


def test_nonce_memory_is_capped_oldest_first() -> None:
    memory = NonceMemory(capacity=3, clock=Clock())
    for nonce in "abcd":
        assert memory.check_and_remember(nonce)
    assert len(memory) == 3
    assert memory.check_and_remember("a")  # the oldest was evicted
    assert not memory.check_and_remember("d")


@pytest.mark.parametrize("offset", [timedelta(minutes=-15), timedelta(0), timedelta(minutes=15)])
def test_dates_within_fifteen_minutes_are_accepted(offset: timedelta) -> None:
    assert verifier().verify(request(NOW + offset)).access_key_id == "sim-access-key-id"


@pytest.mark.parametrize("offset", [timedelta(minutes=-15, seconds=-1), timedelta(minutes=15, seconds=1)])
def test_dates_outside_are_expired(offset: timedelta) -> None:
    with pytest.raises(GatewayError) as excinfo:
        verifier().verify(request(NOW + offset))
    assert (excinfo.value.code, excinfo.value.status) == ("InvalidTimeStamp.Expired", 400)


def test_a_replay_is_refused_but_another_nonce_passes() -> None:
    v = verifier()
    v.verify(request(nonce="x"))
    with pytest.raises(GatewayError, match="SignatureNonceUsed"):
        v.verify(request(nonce="x"))
    v.verify(request(nonce="y"))


def test_missing_signed_host_is_incomplete() -> None:
    signed = request()
    headers = dict(signed.headers)
    headers["authorization"] = headers["authorization"].replace("SignedHeaders=host;", "SignedHeaders=")
    with pytest.raises(GatewayError, match="IncompleteSignature"):
        verifier().verify(SignedRequest("POST", "/", QUERY, headers))


# The reference's signing vector for ListRealtimeAgentStates (ccc-neighbours.md §6), made by the official
# SDK's own code: a form body, its hash in x-acs-content-sha256, and content-type among the signed headers.
VECTOR_BODY = b"AgentIdList=%5B%22agent%40ccc-test%22%5D&StateList=%5B%22Talking%22%5D"
VECTOR_QUERY = {"InstanceId": "ccc-test", "PageNumber": "1", "PageSize": "10"}
VECTOR_HEADERS = {
    "accept": "application/json",
    "content-type": "application/x-www-form-urlencoded",
    "host": "ccc.cn-shanghai.aliyuncs.com",
    "user-agent": "AlibabaCloud (Linux; x86_64) Python/3.11.0 Core/0.4.3 TeaDSL/2",
    "x-acs-action": "ListRealtimeAgentStates",
    "x-acs-content-sha256": "aeb839827f128fc40b1a3dff61ea43b4aae2a9f0d4c4f1675661b8d8b3d86ee8",
    "x-acs-credentials-provider": "static_ak",
    "x-acs-date": "2024-01-01T00:00:00Z",
    "x-acs-signature-nonce": "0123456789abcdef0123456789abcdef",
    "x-acs-version": "2020-07-01",
}
VECTOR_SIGNATURE = "81318a63432bdab6dad2077b22e12c11f405f90c09021cc20851f8039fd22920"


def vector_verifier() -> Verifier:
    state = SimulatorState([], [Credential("testid", "testsecret")])
    return Verifier(state, clock=lambda: datetime(2024, 1, 1, tzinfo=UTC).timestamp())


def vector_request(headers: dict[str, str], body: bytes = VECTOR_BODY) -> SignedRequest:
    names = ";".join(sorted(VECTOR_HEADERS))
    authorization = f"ACS3-HMAC-SHA256 Credential=testid,SignedHeaders={names},Signature={VECTOR_SIGNATURE}"
    return SignedRequest("POST", "/", VECTOR_QUERY, {**headers, "authorization": authorization}, body)


def test_the_sdks_form_body_vector_verifies() -> None:
    assert vector_verifier().verify(vector_request(VECTOR_HEADERS)).access_key_id == "testid"


@pytest.mark.parametrize(
    ("headers", "body"),
    [
        ({**VECTOR_HEADERS, "content-type": "text/plain"}, VECTOR_BODY),
        (VECTOR_HEADERS, VECTOR_BODY.replace(b"Talking", b"Ready")),
        ({**VECTOR_HEADERS, "x-acs-content-sha256": hashlib.sha256(b"other").hexdigest()}, b"other"),
    ],
    ids=["content-type", "body", "body-and-its-hash"],
)
def test_changing_the_signed_body_or_content_type_breaks_the_vector(headers: dict[str, str], body: bytes) -> None:
    with pytest.raises(GatewayError) as excinfo:
        vector_verifier().verify(vector_request(headers, body))
    assert excinfo.value.code == "SignatureDoesNotMatch"
