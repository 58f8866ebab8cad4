"""Fault injection, observed the way a client observes it: over HTTP, with httpx."""

from __future__ import annotations

import json
import time
from pathlib import Path

import httpx
import pytest

from ccc_mcp.simulator import FaultError, Simulator, load_faults, running_simulator
from ccc_mcp.simulator.faults import FaultInjector, LatencyFault, ThrottleFault

from .helpers import call


async def test_latency_delays_the_answer(asim: Simulator, client: httpx.AsyncClient) -> None:
    asim.faults.add({"kind": "latency", "ms": 300, "times": 1})
    started = time.perf_counter()
    response = await call(client, asim)
    assert response.status_code == 200
    assert time.perf_counter() - started >= 0.25


async def test_an_error_in_gateway_style(asim: Simulator, client: httpx.AsyncClient) -> None:
    asim.faults.add({"kind": "error", "status": 503, "code": "ServiceUnavailable", "times": 1})
    response = await call(client, asim)
    body = response.json()
    assert (response.status_code, body["Code"]) == (503, "ServiceUnavailable")
    assert body["Message"] == "The request has failed due to a temporary failure of the server."
    assert list(body) == ["RequestId", "HostId", "Code", "Message", "Recommend"]
    assert (await call(client, asim)).status_code == 200  # `times: 1` used up


async def test_an_error_in_ccc_style(asim: Simulator, client: httpx.AsyncClient) -> None:
    asim.faults.add({"kind": "error", "style": "ccc", "status": 500, "code": "InternalService.CTI",
                     "params": ["media server lost"], "times": 1})
    body = (await call(client, asim)).json()
    assert body == {**body, "Code": "InternalService.CTI", "HttpStatusCode": 500,
                    "Message": "An internal CTI service error occurred. media server lost",
                    "Params": ["media server lost"]}


@pytest.mark.parametrize("status", [400, 429])
async def test_throttling_with_retry_after(asim: Simulator, client: httpx.AsyncClient, status: int) -> None:
    asim.faults.add({"kind": "throttle", "status": status, "retry_after": 3, "times": 1})
    response = await call(client, asim)
    assert (response.status_code, response.json()["Code"]) == (status, "Throttling.User")
    assert response.headers["x-acs-retry-after"] == "3"


async def test_throttling_without_retry_after_sends_no_header(asim: Simulator, client: httpx.AsyncClient) -> None:
    asim.faults.add(ThrottleFault(kind="throttle", times=1))
    response = await call(client, asim)
    assert response.status_code == 400
    assert "x-acs-retry-after" not in response.headers


async def test_a_dropped_connection_is_a_transport_error(asim: Simulator, client: httpx.AsyncClient) -> None:
    asim.faults.add({"kind": "disconnect", "times": 1})
    with pytest.raises(httpx.TransportError):
        await call(client, asim)
    assert (await call(client, asim)).status_code == 200  # the server keeps serving


async def test_a_drop_after_the_action_applied_it(asim: Simulator, client: httpx.AsyncClient) -> None:
    asim.faults.add({"kind": "disconnect", "after_action": True, "times": 1})
    with pytest.raises(httpx.TransportError):
        await call(client, asim)
    channel = asim.state.instances["ccc-demo"].calls["job-demo-1"].channel_of("agent@ccc-demo")
    assert channel is not None
    assert not channel.muted  # the unmute happened; only the answer was lost


@pytest.mark.parametrize(("kind", "content_type"), [("html", "text/html"), ("text", "text/plain"),
                                                    ("empty", "application/json"), ("garbage", "application/json")])
async def test_malformed_bodies(asim: Simulator, client: httpx.AsyncClient, kind: str, content_type: str) -> None:
    asim.faults.add({"kind": "malformed", "body": kind, "times": 1})
    response = await call(client, asim)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith(content_type)
    with pytest.raises(ValueError, match=r"Expecting value|codec can't decode|Extra data"):
        json.loads(response.content)  # not JSON (JSONDecodeError or UnicodeDecodeError)


async def test_malformed_with_a_gateway_status(asim: Simulator, client: httpx.AsyncClient) -> None:
    asim.faults.add({"kind": "malformed", "body": "html", "status": 502, "times": 1})
    response = await call(client, asim)
    assert response.status_code == 502
    assert b"502 Bad Gateway" in response.content


async def test_truncated_with_matching_length(asim: Simulator, client: httpx.AsyncClient) -> None:
    asim.faults.add({"kind": "truncated", "keep": 0.5, "times": 1})
    response = await call(client, asim)
    assert response.status_code == 200
    assert int(response.headers["content-length"]) == len(response.content)
    assert response.content.startswith(b'{"Code":"OK"')
    with pytest.raises(json.JSONDecodeError):
        json.loads(response.content)


async def test_truncated_with_a_lying_length(asim: Simulator, client: httpx.AsyncClient) -> None:
    asim.faults.add({"kind": "truncated", "content_length": "lie", "times": 1})
    with pytest.raises(httpx.RemoteProtocolError):
        await call(client, asim)
    assert (await call(client, asim)).status_code == 200


async def test_trickle_is_slow_but_complete(asim: Simulator, client: httpx.AsyncClient) -> None:
    asim.faults.add({"kind": "trickle", "chunk_bytes": 400, "interval_ms": 100, "times": 1})
    started = time.perf_counter()
    response = await call(client, asim)
    assert response.json()["Code"] == "OK"
    assert time.perf_counter() - started >= 0.2


async def test_a_trickle_slower_than_the_clients_timeout(asim: Simulator) -> None:
    asim.faults.add({"kind": "trickle", "chunk_bytes": 10, "interval_ms": 400, "times": 1})
    async with httpx.AsyncClient(timeout=httpx.Timeout(5, read=0.2)) as impatient:
        with pytest.raises(httpx.ReadTimeout):
            await call(impatient, asim)


async def test_rules_match_by_action(asim: Simulator, client: httpx.AsyncClient) -> None:
    asim.faults.add({"kind": "error", "action": "MuteCall", "code": "InternalError"})
    assert (await call(client, asim, "UnmuteCall")).status_code == 200
    mute = {"InstanceId": "ccc-demo", "JobId": "job-demo-1"}
    assert (await call(client, asim, "MuteCall", mute)).json()["Code"] == "InternalError"
    assert (await call(client, asim, "MuteCall", mute)).json()["Code"] == "InternalError"  # no `times`: stays
    asim.faults.clear()
    assert (await call(client, asim, "MuteCall", mute)).status_code == 200


async def test_faults_given_at_start() -> None:
    async with running_simulator(faults=[{"kind": "throttle", "times": 1}]) as sim, httpx.AsyncClient() as http:
        assert (await call(http, sim)).json()["Code"] == "Throttling.User"
        assert (await call(http, sim)).status_code == 200


def test_probability_is_deterministic_for_a_seed() -> None:
    def schedule(seed: int) -> list[bool]:
        injector = FaultInjector([{"kind": "error", "probability": 0.5}], seed=seed)
        return [injector.plan("UnmuteCall").fault is not None for _ in range(40)]

    assert schedule(7) == schedule(7)
    assert 5 < sum(schedule(7)) < 35
    assert schedule(7) != schedule(8)


def test_latency_adds_up_and_the_first_other_rule_wins() -> None:
    injector = FaultInjector([
        LatencyFault(kind="latency", ms=100), {"kind": "latency", "ms": 50, "times": 1},
        {"kind": "disconnect", "times": 1}, {"kind": "throttle"},
    ])
    first = injector.plan("UnmuteCall")
    assert (first.latency_ms, first.fault and first.fault.kind) == (150, "disconnect")
    second = injector.plan("UnmuteCall")
    assert (second.latency_ms, second.fault and second.fault.kind) == (100, "throttle")
    assert len(injector) == 2


def test_a_bad_rule_names_its_field() -> None:
    with pytest.raises(FaultError, match=r"status: Input should be 400 or 429"):
        FaultInjector([{"kind": "throttle", "status": 418}])
    with pytest.raises(FaultError, match=r"does not match any of the expected tags"):
        FaultInjector([{"kind": "explode"}])


def test_fault_files(tmp_path: Path) -> None:
    path = tmp_path / "faults.json"
    path.write_text(json.dumps({"seed": 3, "rules": [{"kind": "latency", "ms": 10}]}))
    rules, seed = load_faults(path)
    assert (seed, [r.kind for r in rules]) == (3, ["latency"])
    path.write_text(json.dumps([{"kind": "truncated", "keep": 1.5}]))
    with pytest.raises(FaultError, match=r"\[0\]\.truncated\.keep"):
        load_faults(path)


class Ticks:
    """A monotonic clock that moves only when told to (seconds)."""

    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def throttled(injector: FaultInjector, action: str = "PollUserStatus", times: int = 1) -> list[bool]:
    return [injector.plan(action).fault is not None for _ in range(times)]


def test_a_rate_rule_throttles_only_what_goes_beyond_the_rate() -> None:
    ticks = Ticks()
    injector = FaultInjector([{"kind": "throttle", "action": "PollUserStatus", "rate": 5}], monotonic=ticks)
    assert throttled(injector, "UnmuteCall", times=20) == [False] * 20, "other actions: not refused, not counted"
    assert throttled(injector, times=7) == [False] * 5 + [True] * 2, "a burst of 5 (= ceil(rate)), then refused"
    ticks.now += 0.2  # a fifth of a second earns one request at 5/s
    assert throttled(injector, times=2) == [False, True]
    ticks.now += 10  # the bucket fills up to its burst, no more
    assert throttled(injector, times=6) == [False] * 5 + [True]


def test_refused_requests_take_no_token_so_a_storm_gets_exactly_the_rate() -> None:
    ticks = Ticks()
    injector = FaultInjector([{"kind": "throttle", "rate": 10, "burst": 1}], monotonic=ticks)
    let_through = 0
    for _ in range(100):  # 2 s of a client asking every 20 ms, twice the rate
        let_through += not injector.plan("PollUserStatus").fault
        ticks.now += 0.02
    assert let_through == 20


def test_a_rate_rule_with_times_expires_after_that_many_refusals() -> None:
    injector = FaultInjector([{"kind": "throttle", "rate": 1, "times": 2}], monotonic=Ticks())
    assert throttled(injector, times=5) == [False, True, True, False, False]
    assert len(injector) == 0


def test_a_rate_rule_describes_itself_and_burst_needs_rate() -> None:
    injector = FaultInjector([{"kind": "throttle", "rate": 2.5, "burst": 4, "status": 429, "retry_after": 1}])
    assert injector.describe() == [{"kind": "throttle", "rate": 2.5, "burst": 4, "status": 429,
                                    "code": "Throttling.User", "retry_after": 1, "remaining": None}]  # fmt: skip
    with pytest.raises(FaultError, match=r"burst needs rate"):
        FaultInjector([{"kind": "throttle", "burst": 3}])
    with pytest.raises(FaultError, match=r"rate: Input should be greater than 0"):
        FaultInjector([{"kind": "throttle", "rate": 0}])


async def test_a_rate_rule_added_at_run_time_throttles_poll_user_status(client: httpx.AsyncClient) -> None:
    ticks = Ticks()
    async with running_simulator(admin=True, fault_clock=ticks) as sim:
        rule = {"kind": "throttle", "action": "PollUserStatus", "rate": 3, "status": 429, "code": "Throttling",
                "retry_after": 2}  # fmt: skip
        assert (await client.post(f"{sim.endpoint}/_admin/faults", json=rule)).status_code == 201
        poll = {"InstanceId": "ccc-demo", "UserId": "wang@ccc-demo"}
        answers = [await call(client, sim, "PollUserStatus", poll) for _ in range(5)]
        assert [r.status_code for r in answers] == [200, 200, 200, 429, 429]
        assert (answers[3].json()["Code"], answers[3].headers["x-acs-retry-after"]) == ("Throttling", "2")
        assert (await call(client, sim)).status_code == 200, "UnmuteCall is not limited"
        ticks.now += 1
        assert [(await call(client, sim, "PollUserStatus", poll)).status_code for _ in range(4)] == [200] * 3 + [429]
        assert sim.stats.action_outcomes["PollUserStatus"] == {"OK": 6, "fault:throttle": 3}
