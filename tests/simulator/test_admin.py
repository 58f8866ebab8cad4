"""The admin API: off by default, plain JSON when enabled, never CCC-signed."""

from __future__ import annotations

import httpx

from ccc_mcp.simulator import Simulator, running_simulator

from .helpers import call

AGENT_CHANNEL = "ch:user:13900000001->8001:1700000000000:job-demo-1"


async def test_the_admin_api_is_off_by_default(client: httpx.AsyncClient) -> None:
    async with running_simulator() as sim:
        for method, path in [("GET", "/_admin/state"), ("POST", "/_admin/faults"), ("POST", "/_admin/reset")]:
            response = await client.request(method, f"{sim.endpoint}{path}")
            assert response.status_code == 404, path


async def test_state_shows_the_live_state_without_secrets(asim: Simulator, client: httpx.AsyncClient) -> None:
    await call(client, asim)  # unmute
    response = await client.get(f"{asim.endpoint}/_admin/state")
    assert response.status_code == 200
    state = response.json()
    call_1 = next(c for c in state["instances"][0]["calls"] if c["job_id"] == "job-demo-1")
    assert next(ch for ch in call_1["channels"] if ch["channel_id"] == AGENT_CHANNEL)["flags"] == []
    assert "sim-access-key-secret" not in response.text


async def test_faults_can_be_added_listed_and_cleared(asim: Simulator, client: httpx.AsyncClient) -> None:
    admin = f"{asim.endpoint}/_admin/faults"
    added = await client.post(admin, json={"kind": "throttle", "status": 429, "times": 2})
    assert added.status_code == 201
    assert added.json()["rules"][0]["remaining"] == 2
    assert (await call(client, asim)).status_code == 429
    assert (await client.get(admin)).json()["rules"][0]["remaining"] == 1
    assert (await client.delete(admin)).json() == {"cleared": 1}
    assert (await call(client, asim)).status_code == 200


async def test_a_bad_fault_rule_is_a_400_naming_the_field(asim: Simulator, client: httpx.AsyncClient) -> None:
    response = await client.post(f"{asim.endpoint}/_admin/faults", json=[{"kind": "latency", "ms": -5}])
    assert response.status_code == 400
    assert "[0].latency.ms" in response.json()["error"]


async def test_reset_restores_the_scenario_and_forgets_nonces(asim: Simulator, client: httpx.AsyncClient) -> None:
    await call(client, asim)
    assert not asim.state.instances["ccc-demo"].calls["job-demo-1"].channel(AGENT_CHANNEL).muted  # type: ignore[union-attr]
    assert (await client.post(f"{asim.endpoint}/_admin/reset")).status_code == 200
    assert asim.state.instances["ccc-demo"].calls["job-demo-1"].channel(AGENT_CHANNEL).muted  # type: ignore[union-attr]
    assert len(asim.verifier.nonces) == 0


async def test_a_scenario_can_be_swapped_at_run_time(asim: Simulator, client: httpx.AsyncClient) -> None:
    scenario = {
        "name": "swapped",
        "credentials": [{"access_key_id": "sim-access-key-id", "access_key_secret": "sim-access-key-secret"}],
        "instances": [{"instance_id": "ccc-other", "agents": [{"user_id": "solo@ccc-other"}]}],
    }
    admin = f"{asim.endpoint}/_admin/scenario"
    assert (await client.put(admin, json=scenario)).json()["name"] == "swapped"
    response = await call(client, asim, "UnmuteCall", {"InstanceId": "ccc-demo", "UserId": "agent@ccc-demo"})
    assert response.json()["Code"] == "NotExists.InstanceId"
    bad = await client.put(admin, json={**scenario, "instances": [{"instance_id": 7}]})
    assert (bad.status_code, "instances[0].instance_id" in bad.json()["error"]) == (400, True)


async def test_the_admin_api_refuses_ccc_signing(asim: Simulator, client: httpx.AsyncClient) -> None:
    response = await client.get(f"{asim.endpoint}/_admin/state", headers={"Authorization": "ACS3-HMAC-SHA256 x"})
    assert response.status_code == 400
