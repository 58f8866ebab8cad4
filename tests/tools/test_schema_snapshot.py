"""The published tool definitions are part of the public interface: any drift fails here.

One snapshot file per registered tool (tests/snapshots/tools/<name>.json), in the default configuration
(no default instance), so a new tool is covered by adding it to the registry. After an intended change,
regenerate with `UPDATE_SNAPSHOTS=1 pytest tests/tools/test_schema_snapshot.py` and review the diff of
`tests/snapshots/` like any other change.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from ccc_mcp.tools.registry import TOOLS, tool_names

SNAPSHOTS = Path(__file__).parent.parent / "snapshots" / "tools"


def _dump(tool: Any) -> dict[str, Any]:
    dumped: dict[str, Any] = tool.model_dump(mode="json", by_alias=True, exclude_none=True)
    return dumped


async def _published(make_client: Callable[..., Any], mode: str = "auto") -> dict[str, dict[str, Any]]:
    async with make_client(mode) as client:
        return {tool.name: _dump(tool) for tool in (await client.list_tools()).tools}


@pytest.mark.parametrize("name", tool_names())
async def test_published_tool_definition_matches_its_snapshot(make_client: Callable[..., Any], name: str) -> None:
    published = (await _published(make_client))[name]
    snapshot = SNAPSHOTS / f"{name}.json"
    if os.environ.get("UPDATE_SNAPSHOTS") == "1":
        snapshot.write_text(json.dumps(published, indent=2, sort_keys=True, ensure_ascii=False) + "\n")
    assert snapshot.exists(), f"no snapshot of {name} yet: run with UPDATE_SNAPSHOTS=1"
    assert json.loads(snapshot.read_text()) == published, (
        f"the published {name} definition drifted; if intended, regenerate with UPDATE_SNAPSHOTS=1"
    )


def test_every_snapshot_belongs_to_a_registered_tool() -> None:
    assert sorted(path.stem for path in SNAPSHOTS.glob("*.json")) == sorted(tool_names())


async def test_definitions_are_the_same_in_both_protocol_eras(make_client: Callable[..., Any]) -> None:
    assert await _published(make_client, "auto") == await _published(make_client, "legacy")


async def test_tools_are_listed_in_the_order_find_look_act(make_client: Callable[..., Any]) -> None:
    assert list(await _published(make_client)) == [
        "list_agents", "list_calls", "get_agent_status", "unmute_call", "mute_call", "hold_call", "retrieve_call"
    ]


EXPECTED_ANNOTATIONS = {  # (readOnly, destructive, idempotent, openWorld), fixed by the design
    "list_agents": (True, False, True, True),
    "list_calls": (True, False, True, True),
    "get_agent_status": (True, False, True, True),  # a look, not an act (docs/tools.md)
    "unmute_call": (False, False, True, True),
    "mute_call": (False, False, True, True),
    "hold_call": (False, False, True, True),
    "retrieve_call": (False, False, True, True),
}


@pytest.mark.parametrize("spec", TOOLS, ids=lambda spec: spec.name)
def test_every_tool_sets_every_annotation_explicitly(spec: Any) -> None:
    """The protocol's defaults (destructive, not idempotent) are wrong for every tool here: none may be left
    to them, so an unset annotation fails even where its default happens to match."""
    annotations = spec.annotations
    for field in ("title", "read_only_hint", "destructive_hint", "idempotent_hint", "open_world_hint"):
        assert getattr(annotations, field) is not None, f"{spec.name} leaves {field} unset"
    assert annotations.title == spec.title
    hints = (annotations.read_only_hint, annotations.destructive_hint, annotations.idempotent_hint,
             annotations.open_world_hint)  # fmt: skip
    assert hints == EXPECTED_ANNOTATIONS[spec.name]


def test_unmute_call_keeps_its_fixed_public_names() -> None:
    snapshot = json.loads((SNAPSHOTS / "unmute_call.json").read_text())
    assert snapshot["name"] == "unmute_call"
    assert snapshot["title"] == "Unmute call"
    assert set(snapshot["inputSchema"]["properties"]) == {"instance_id", "user_id", "job_id", "channel_id"}
    assert set(snapshot["outputSchema"]["properties"]) == {"ok", "request_id", "call_context", "user_context", "error"}
    assert snapshot["outputSchema"]["required"] == ["ok"], "the rest is absent where it does not apply, never null"
