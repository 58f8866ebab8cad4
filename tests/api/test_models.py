"""Context models read the API's PascalCase, speak snake_case, keep unknown fields, accept unseen states."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from ccc_mcp.api.models import (
    ApiEnvelope,
    CallControlData,
    ChannelContext,
    RealtimeAgentStatesPage,
    parse_channel_flags,
)

SAMPLE = json.loads((Path(__file__).parents[1] / "data" / "unmutecall_sample.json").read_text())


def test_sample_data_parses_into_snake_case() -> None:
    data = CallControlData.model_validate(SAMPLE["Data"])
    assert data.user_context is not None
    assert data.user_context.user_state == "TALKING"
    assert data.user_context.signed_skill_group_id_list == ["skillgroup1@ccc-test"]
    assert data.user_context.outbound_scenario is False
    assert data.call_context is not None
    assert data.call_context.channel_contexts[0].timestamp == 1609138903315
    dumped = data.model_dump()
    assert "user_state" in dumped["user_context"]
    assert "UserState" not in dumped["user_context"]


def test_open_enumerations_and_unknown_fields() -> None:
    data = CallControlData.model_validate(
        {"UserContext": {"UserState": "HOLOGRAM", "WorkMode": "SPACE"}, "CallContext": {"Future": [1]}}
    )
    assert data.user_context is not None
    assert data.user_context.user_state == "HOLOGRAM"
    assert data.call_context is not None
    assert data.call_context.model_dump()["Future"] == [1]


def test_envelope_reads_ccc_and_gateway_bodies() -> None:
    ccc = ApiEnvelope.model_validate(SAMPLE)
    assert (ccc.code, ccc.http_status_code, ccc.request_id) == ("OK", 200, "EEEE671A-3E24-4A04-81E6-6C4F5B39DF75")
    gateway = ApiEnvelope.model_validate(
        {"RequestId": "R", "HostId": "h", "Code": "Forbidden.RAM", "Message": "m", "Recommend": "r",
         "AccessDeniedDetail": {"AuthAction": "ccc:UnmuteCall"}}
    )
    assert gateway.code == "Forbidden.RAM"
    assert gateway.access_denied_detail == {"AuthAction": "ccc:UnmuteCall"}


@pytest.mark.parametrize(
    ("raw", "flags"),
    [
        ("[MUTED]", ["MUTED"]),
        ("MUTED", ["MUTED"]),
        ("[HOLD, MUTED]", ["HOLD", "MUTED"]),
        ("HOLD,MUTED", ["HOLD", "MUTED"]),
        ("hold muted", ["HOLD", "MUTED"]),
        ("[]", []),
        ("", []),
        ("MONITORING", ["MONITORING"]),
        ("[MUTED, MUTED]", ["MUTED"]),
        (None, None),
    ],
)
def test_channel_flags_are_parsed_from_every_spelling(raw: str | None, flags: list[str] | None) -> None:
    assert parse_channel_flags(raw) == flags
    channel = ChannelContext.model_validate({"ChannelFlags": raw} if raw is not None else {})
    assert channel.flags == flags


def test_agent_list_page_reads_the_wire_rows() -> None:
    page = RealtimeAgentStatesPage.model_validate(
        {"PageNumber": 1, "PageSize": 10, "TotalCount": 1,
         "List": [{"AgentId": "a@x", "AgentName": "A", "State": "ACW", "Duration": 12, "SkillGroupIdList": ["s"]}]}
    )
    [row] = page.rows
    assert (row.agent_id, row.agent_name, row.state, row.duration, row.skill_group_id_list) == (
        "a@x", "A", "ACW", 12, ["s"]
    )


_RETAINED = """
import gc, json, sys, tracemalloc
from ccc_mcp.api.models import ApiEnvelope
bodies = [json.dumps({"Code": "OK", "RequestId": f"{n:08d}-3763-4E33-80DB-E3ED83C3E75C",
                      "Data": {"CallContext": {"JobId": f"job-{n}"}}}).encode() for n in range(3000)]
ApiEnvelope.model_validate_json(bodies[0])
gc.collect()
tracemalloc.start()
for body in bodies:
    ApiEnvelope.model_validate_json(body)
gc.collect()
print(tracemalloc.get_traced_memory()[0])
"""


def test_reading_answers_keeps_none_of_their_string_values() -> None:
    """Answers are read from JSON bytes; pydantic keeps the strings it reads in a process-wide cache of
    16,384 unless told to keep only keys, and every answer's RequestId and job ids are new strings (the
    benchmark's memory section saw 1.5 MiB held over 10,000 calls). A fresh process, so the cache starts empty."""
    run = subprocess.run([sys.executable, "-c", _RETAINED], capture_output=True, text=True, check=True,
                         env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)})
    assert int(run.stdout) < 64 * 1024, "3,000 answers' values held: with them cached it is over 300 KiB"
