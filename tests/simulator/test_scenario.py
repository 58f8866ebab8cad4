"""Scenario files: the schema, and errors that name the offending field in one readable paragraph."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from ccc_mcp.simulator import Scenario, ScenarioError, default_scenario, load_scenario
from ccc_mcp.simulator.scenario import build_state

GOOD: dict[str, Any] = {
    "name": "two-agents",
    "credentials": [
        {"access_key_id": "test-ak", "access_key_secret": "test-secret", "user_id": "alice@ccc-x"},
        {"access_key_id": "sts-ak", "access_key_secret": "sts-secret", "security_token": "tok"},
    ],
    "instances": [
        {
            "instance_id": "ccc-x",
            "agents": [
                {"user_id": "alice@ccc-x", "state": "TALKING", "job_id": "job-1", "extension": "1001"},
                {"user_id": "bob@ccc-x"},
            ],
            "calls": [
                {
                    "job_id": "job-1",
                    "call_type": "OUTBOUND",
                    "channels": [
                        {"channel_id": "ch-alice", "state": "ANSWERED", "user_id": "alice@ccc-x", "flags": ["MUTED"]},
                        {"channel_id": "ch-customer", "state": "ANSWERED"},
                    ],
                }
            ],
        }
    ],
}


def write(tmp_path: Path, data: Any) -> Path:
    path = tmp_path / "scenario.json"
    path.write_text(data if isinstance(data, str) else json.dumps(data), encoding="utf-8")
    return path


def test_the_default_scenario_is_valid_and_has_the_documented_names() -> None:
    scenario = default_scenario()
    Scenario.model_validate(scenario.model_dump())  # round-trips through the schema
    assert scenario.credentials[0].access_key_id == "sim-access-key-id"
    assert scenario.credentials[0].access_key_secret == "sim-access-key-secret"
    state = build_state(scenario)
    agents = state.instances["ccc-demo"].agents
    assert agents["agent@ccc-demo"].state == "TALKING"
    assert agents["agent@ccc-demo"].job_id == "job-demo-1"
    assert agents["idle@ccc-demo"].state == "READY"
    assert agents["idle@ccc-demo"].job_id is None


def test_a_good_file_loads(tmp_path: Path) -> None:
    scenario = load_scenario(write(tmp_path, GOOD))
    state = build_state(scenario)
    assert state.set_muted(False, instance_id="ccc-x", user_id="alice@ccc-x").channel.flags == []
    assert state.credentials["sts-ak"].security_token == "tok"


def bad(tmp_path: Path, mutate: Any) -> str:
    data = json.loads(json.dumps(GOOD))
    mutate(data)
    with pytest.raises(ScenarioError) as excinfo:
        load_scenario(write(tmp_path, data))
    message = str(excinfo.value)
    assert "\n" not in message
    assert "Traceback" not in message
    return message


def test_a_wrong_type_names_the_field_and_the_value(tmp_path: Path) -> None:
    def mutate(d: dict[str, Any]) -> None:
        d["instances"][0]["agents"][1]["outbound_scenario"] = "perhaps"

    message = bad(tmp_path, mutate)
    assert "instances[0].agents[1].outbound_scenario" in message
    assert '"perhaps"' in message


def test_a_misspelt_field_is_an_error_not_a_default(tmp_path: Path) -> None:
    message = bad(tmp_path, lambda d: d["instances"][0]["agents"][0].update(stat="READY"))
    assert "instances[0].agents[0].stat: Extra inputs are not permitted" in message


def test_a_missing_required_field_is_named(tmp_path: Path) -> None:
    message = bad(tmp_path, lambda d: d["credentials"][0].pop("access_key_secret"))
    assert "credentials[0].access_key_secret: Field required" in message


def test_a_call_that_does_not_exist_is_named(tmp_path: Path) -> None:
    message = bad(tmp_path, lambda d: d["instances"][0]["agents"][0].update(job_id="job-nope"))
    assert "instances[0].agents[0].job_id: no call 'job-nope'" in message


def test_a_talking_agent_needs_a_call(tmp_path: Path) -> None:
    message = bad(tmp_path, lambda d: d["instances"][0]["agents"][1].update(state="TALKING"))
    assert "instances[0].agents[1].job_id" in message


def test_a_channel_of_an_unknown_agent_is_named(tmp_path: Path) -> None:
    message = bad(tmp_path, lambda d: d["instances"][0]["calls"][0]["channels"][1].update(user_id="eve@ccc-x"))
    assert "instances[0].calls[0].channels[1].user_id: no agent 'eve@ccc-x'" in message


def test_duplicate_ids_are_refused(tmp_path: Path) -> None:
    message = bad(tmp_path, lambda d: d["credentials"][1].update(access_key_id="test-ak"))
    assert "access_key_id 'test-ak' appears more than once" in message


def test_invalid_json_says_where(tmp_path: Path) -> None:
    with pytest.raises(ScenarioError, match=r"is not valid JSON: .* line 1, column \d+"):
        load_scenario(write(tmp_path, '{"credentials": [}'))


def test_a_missing_file_is_a_scenario_error(tmp_path: Path) -> None:
    with pytest.raises(ScenarioError, match="cannot be read"):
        load_scenario(tmp_path / "absent.json")


# -- profiles, skill group names, live-time fields and the repeat option ------------------------------

DEFAULT_CAST = [
    # user id, display name, employee number, extension, state, call, reserved
    ("agent@ccc-demo", "Zhang Wei", "1001", "8001", "TALKING", "job-demo-1", 1_700_000_000_000),
    ("idle@ccc-demo", "Li Na", "1002", "8002", "READY", None, None),
    ("ringing@ccc-demo", "Liu Yang", "1003", "8003", "TALKING", "job-demo-2", 1_700_000_060_000),
    ("cti-fail@ccc-demo", "Chen Jie", "1004", "8004", "TALKING", "job-demo-cti", 1_700_000_120_000),
    ("break@ccc-demo", "Zhao Min", "1005", "8005", "BREAK", None, None),
    ("wang@ccc-demo", "Wang Fang", "1006", "8006", "TALKING", "job-demo-3", 1_700_000_300_000),
]


def test_the_default_cast_has_profiles_and_wang() -> None:
    scenario = default_scenario()
    assert scenario.repeats == "noop"
    instance = build_state(scenario).instances["ccc-demo"]
    assert [
        (a.user_id, a.display_name, a.display_id, a.extension, a.state, a.job_id, a.reserved)
        for a in instance.agents.values()
    ] == DEFAULT_CAST
    assert instance.skill_group_name("skillgroup@ccc-demo") == "Demo Hotline"
    assert {(a.role, a.email) for a in instance.agents.values() if a.user_id == "wang@ccc-demo"} == {
        ("Agent", "wang@example.com")}


def test_wangs_call_is_a_customer_and_wang_with_no_flags() -> None:
    call = build_state(default_scenario()).instances["ccc-demo"].calls["job-demo-3"]
    assert call.call_type == "INBOUND"
    assert [(ch.channel_id, ch.user_id, ch.state, ch.flags) for ch in call.channels] == [
        ("ch:customer:13900000006->02100000000:1700000300000:job-demo-3", None, "ANSWERED", []),
        ("ch:user:13900000006->8006:1700000300000:job-demo-3", "wang@ccc-demo", "ANSWERED", []),
    ]


def test_the_existing_cast_is_unchanged() -> None:
    instance = build_state(default_scenario()).instances["ccc-demo"]
    agent_leg = instance.calls["job-demo-1"].channel("ch:user:13900000001->8001:1700000000000:job-demo-1")
    assert agent_leg is not None
    assert (agent_leg.flags, agent_leg.timestamp) == (["MUTED"], 1_700_000_002_000)
    assert instance.calls["job-demo-cti"].cti_error == "The CTI gateway did not answer in time (simulated)."
    assert instance.agents["break@ccc-demo"].break_code == "Warm-up"
    assert {a.heartbeat for a in instance.agents.values()} == {1_700_000_005_000}


def test_profile_fields_default_from_the_user_id(tmp_path: Path) -> None:
    agents = build_state(load_scenario(write(tmp_path, GOOD))).instances["ccc-x"].agents
    alice, bob = agents["alice@ccc-x"], agents["bob@ccc-x"]
    assert (alice.login_name, alice.display_name, alice.display_id, alice.email, alice.role) == (
        "alice", "alice", "1001", "alice@example.com", "Agent")
    assert (bob.display_name, bob.display_id) == ("bob", "bob")  # no extension: the login name
    assert build_state(load_scenario(write(tmp_path, GOOD))).repeats == "noop"


def test_new_fields_load(tmp_path: Path) -> None:
    data = json.loads(json.dumps(GOOD))
    data["repeats"] = "strict"
    inst = data["instances"][0]
    inst["skill_groups"] = [{"skill_group_id": "sales@ccc-x", "name": "Sales"}, {"skill_group_id": "vip@ccc-x"}]
    inst["agents"][0].update(
        display_name="Alice Liddell", login_name="alice.l", display_id="E-7", email="al@ccc.example",
        role="Manager", skill_groups=["sales@ccc-x", "vip@ccc-x"], skill_levels={"vip@ccc-x": 5},
        reserved=1_700_000_000_000, state_since=1_699_999_000_000, ram_id=1234, primary=True,
    )
    state = build_state(load_scenario(write(tmp_path, data)))
    instance = state.instances["ccc-x"]
    alice = instance.agents["alice@ccc-x"]
    assert (alice.display_name, alice.login_name, alice.display_id, alice.email, alice.role) == (
        "Alice Liddell", "alice.l", "E-7", "al@ccc.example", "Manager")
    assert (alice.skill_level("sales@ccc-x"), alice.skill_level("vip@ccc-x")) == (1, 5)
    assert (alice.reserved, alice.state_since, alice.ram_id, alice.primary) == (
        1_700_000_000_000, 1_699_999_000_000, 1234, True)
    assert [instance.skill_group_name(g) for g in ("sales@ccc-x", "vip@ccc-x", "other@ccc-x")] == [
        "Sales", "vip", "other"]
    assert state.repeats == "strict"


def test_repeats_takes_only_the_two_documented_values(tmp_path: Path) -> None:
    message = bad(tmp_path, lambda d: d.update(repeats="sometimes"))
    assert "repeats: Input should be 'noop' or 'strict'" in message


def test_a_skill_level_for_a_group_the_agent_is_not_in(tmp_path: Path) -> None:
    message = bad(tmp_path, lambda d: d["instances"][0]["agents"][0].update(skill_levels={"vip@ccc-x": 2}))
    assert "instances[0].agents[0].skill_levels: 'vip@ccc-x' is not one of the agent's skill_groups" in message


def test_a_skill_level_below_one(tmp_path: Path) -> None:
    def mutate(d: dict[str, Any]) -> None:
        d["instances"][0]["agents"][0].update(skill_groups=["vip@ccc-x"], skill_levels={"vip@ccc-x": 0})

    assert "the level of 'vip@ccc-x' must be at least 1" in bad(tmp_path, mutate)


def test_a_skill_group_listed_twice(tmp_path: Path) -> None:
    def mutate(d: dict[str, Any]) -> None:
        d["instances"][0]["skill_groups"] = [{"skill_group_id": "s@ccc-x"}, {"skill_group_id": "s@ccc-x"}]

    assert "instances[0].skill_groups: skill_group_id 's@ccc-x' appears more than once" in bad(tmp_path, mutate)
