"""The published tool definition is part of the public interface: any drift fails here.

After an intended change, regenerate with `UPDATE_SNAPSHOTS=1 pytest tests/tool/test_schema_snapshot.py`
and review the diff of `tests/snapshots/` like any other change.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

SNAPSHOT = Path(__file__).parent.parent / "snapshots" / "unmute_call.json"


async def test_published_tool_definition_matches_the_snapshot(make_client: Callable[..., Any]) -> None:
    async with make_client("auto") as client:
        [tool] = (await client.list_tools()).tools
    published = tool.model_dump(mode="json", by_alias=True, exclude_none=True)
    text = json.dumps(published, indent=2, sort_keys=True, ensure_ascii=False) + "\n"
    if os.environ.get("UPDATE_SNAPSHOTS") == "1":
        SNAPSHOT.write_text(text)
    assert SNAPSHOT.exists(), "no snapshot yet: run with UPDATE_SNAPSHOTS=1"
    assert json.loads(SNAPSHOT.read_text()) == published, (
        "the published unmute_call definition drifted; if intended, regenerate with UPDATE_SNAPSHOTS=1"
    )


async def test_snapshot_is_the_same_in_both_protocol_eras(make_client: Callable[..., Any]) -> None:
    definitions = []
    for mode in ("auto", "legacy"):
        async with make_client(mode) as client:
            [tool] = (await client.list_tools()).tools
            definitions.append(tool.model_dump(mode="json", by_alias=True, exclude_none=True))
    assert definitions[0] == definitions[1]


def test_snapshot_has_the_fixed_public_names() -> None:
    snapshot = json.loads(SNAPSHOT.read_text())
    assert snapshot["name"] == "unmute_call"
    assert snapshot["title"] == "Unmute call"
    assert snapshot["annotations"] == {
        "title": "Unmute call",
        "readOnlyHint": False,
        "destructiveHint": False,
        "idempotentHint": True,
        "openWorldHint": True,
    }
    assert set(snapshot["inputSchema"]["properties"]) == {"instance_id", "user_id", "device_id", "job_id", "channel_id"}
    for name, prop in snapshot["inputSchema"]["properties"].items():
        assert "examples" in json.dumps(prop), f"{name} has an example"
        assert "description" in json.dumps(prop), f"{name} has a description"
    assert set(snapshot["outputSchema"]["properties"]) == {"ok", "request_id", "call_context", "user_context", "error"}
    assert set(snapshot["outputSchema"]["required"]) == {"ok", "request_id", "call_context", "user_context", "error"}
