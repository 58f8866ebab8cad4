"""The simulated gateway's verification, without HTTP: nonce memory bounds and the date window."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from ccc_mcp.api.signing import SigningKey, format_date, signed_request_headers
from ccc_mcp.simulator.auth import NonceMemory, SignedRequest, Verifier
from ccc_mcp.simulator.errors import GatewayError
from ccc_mcp.simulator.scenario import build_state, default_scenario

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
