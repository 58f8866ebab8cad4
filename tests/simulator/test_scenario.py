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
