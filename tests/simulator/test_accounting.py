"""Request accounting: what a fan-out's tests count — requests per action as they arrive, how each ended,
PollUserStatus per UserId asked and per JobId answered — in process and from the admin API, cleared on
demand and kept across a reset of the state."""

from __future__ import annotations

import asyncio

import httpx

from ccc_mcp.simulator import RequestStats, Simulator

from .cast import AGENT, AGENT_JOB, IDLE, INSTANCE, WANG, WANG_JOB
from .helpers import call, call_form


def poll(user: str | None) -> dict[str, str]:
    return {"InstanceId": INSTANCE} | ({"UserId": user} if user else {})


async def test_requests_are_counted_per_action_and_poll_per_user_and_job(
    asim: Simulator, client: httpx.AsyncClient
) -> None:
    for user in (WANG, WANG, IDLE, None, "nobody@ccc-demo"):
        await call(client, asim, "PollUserStatus", poll(user))
    await call_form(client, asim, "ListRealtimeAgentStates",
                    {"InstanceId": INSTANCE, "PageNumber": "1", "PageSize": "10"}, {})  # fmt: skip
    await call(client, asim, "UnmuteCall")
    stats = asim.stats
    assert stats.received == 7
    assert stats.actions == {"PollUserStatus": 5, "ListRealtimeAgentStates": 1, "UnmuteCall": 1}
    assert stats.polls_by_user == {WANG: 2, IDLE: 1, "(caller)": 1, "nobody@ccc-demo": 1}
    assert stats.polls_by_job == {WANG_JOB: 2, AGENT_JOB: 1}, "idle has no call; nobody is an error"
    assert stats.action_outcomes["PollUserStatus"] == {"OK": 4, "NotExists.UserId": 1}


async def test_faulted_and_rejected_requests_are_counted_too(asim: Simulator, client: httpx.AsyncClient) -> None:
    asim.faults.add({"kind": "throttle", "action": "PollUserStatus", "times": 1})
    await call(client, asim, "PollUserStatus", poll(WANG))
    await call(client, asim, "PollUserStatus", poll(WANG), nonce="0" * 32)
    await call(client, asim, "PollUserStatus", poll(WANG), nonce="0" * 32)  # a replayed nonce
    assert asim.stats.polls_by_user == {WANG: 3}
    assert asim.stats.action_outcomes["PollUserStatus"] == {"fault:throttle": 1, "OK": 1, "SignatureNonceUsed": 1}
    assert asim.stats.polls_by_job == {WANG_JOB: 1}, "only an answer that gave the job counts for it"


async def test_a_request_counts_when_it_arrives(asim: Simulator, client: httpx.AsyncClient) -> None:
    """A request still in flight is counted (a cancelled fan-out is judged on what reached the wire)."""
    asim.faults.add({"kind": "latency", "ms": 2_000, "times": 1})
    slow = asyncio.create_task(call(client, asim, "PollUserStatus", poll(WANG)))
    for _ in range(200):
        if asim.stats.received:
            break
        await asyncio.sleep(0.01)
    assert (asim.stats.actions["PollUserStatus"], sum(asim.stats.outcomes.values())) == (1, 0)
    slow.cancel()


async def test_the_admin_api_reads_and_clears_the_counts(asim: Simulator, client: httpx.AsyncClient) -> None:
    admin = f"{asim.endpoint}/_admin/requests"
    await call(client, asim, "PollUserStatus", poll(AGENT))
    await call(client, asim)
    assert (await client.get(admin)).json() == {
        "received": 2,
        "outcomes": {"OK": 2},
        "actions": {"PollUserStatus": {"received": 1, "outcomes": {"OK": 1}},
                    "UnmuteCall": {"received": 1, "outcomes": {"OK": 1}}},
        "poll_user_status": {"by_user": {AGENT: 1}, "by_job": {AGENT_JOB: 1}},
        "most_in_flight": {"PollUserStatus": 1, "UnmuteCall": 1},
    }  # fmt: skip
    assert (await client.post(f"{asim.endpoint}/_admin/reset")).status_code == 200
    assert asim.stats.received == 2, "a reset of the state keeps the counts, as it keeps the faults"
    assert (await client.delete(admin)).json() == {"cleared": 2}
    assert (await client.get(admin)).json() == {
        "received": 0, "outcomes": {}, "actions": {}, "poll_user_status": {"by_user": {}, "by_job": {}},
        "most_in_flight": {}}


def test_clear_empties_every_count() -> None:
    stats = RequestStats()
    stats.arrived("PollUserStatus", {"UserId": WANG})
    stats.answered("PollUserStatus", {"UserContext": {"JobId": WANG_JOB}})
    stats.finished("PollUserStatus", "OK")
    stats.clear()
    assert stats.snapshot() == RequestStats().snapshot()


async def test_the_most_requests_held_at_once_are_counted_per_action(asim: Simulator, client: httpx.AsyncClient) -> None:
    """What an in-flight bound must keep: three polls the simulator holds together count three, and a later one
    alone does not lower it."""
    asim.faults.add({"kind": "latency", "action": "PollUserStatus", "ms": 200, "times": 3})
    await asyncio.gather(*(call(client, asim, "PollUserStatus", poll(AGENT)) for _ in range(3)))
    await call(client, asim, "PollUserStatus", poll(AGENT))
    assert asim.stats.most_in_flight["PollUserStatus"] == 3
    assert asim.stats.in_flight["PollUserStatus"] == 0
