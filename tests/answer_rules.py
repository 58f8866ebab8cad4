"""What every tool answer must be, checked wherever the suite reads one: the call picture's rules
(docs/tools.md, "The call picture") as assertions.

- nothing is null (a value that does not apply is absent);
- no fact is said twice: no raw form beside its parsed one, no channel repeating its call's id or type, no
  flag that restates what the call context shows;
- every channel names its party, and only the agent the answer is about is marked as its subject;
- enumerated values have one spelling across all tools: upper case.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

__all__ = ["SAME_FACT", "SPELLED", "assert_clean", "spellings"]

# Pairs of fields that would carry one fact twice if both appeared in one object.
SAME_FACT = (("flags", "channel_flags"), ("state", "raw_state"), ("call_context", "on_call"), ("job_id", "on_call"))
# Fields whose values are drawn from CCC's enumerations: one spelling (upper case) in every tool.
SPELLED = ("state", "user_state", "sub_state", "call_type", "channel_state", "flags")


def _walk(node: Any, path: str = "$") -> Iterator[tuple[str, Any]]:
    yield path, node
    if isinstance(node, dict):
        for key, value in node.items():
            yield from _walk(value, f"{path}.{key}")
    elif isinstance(node, list):
        for i, value in enumerate(node):
            yield from _walk(value, f"{path}[{i}]")


def _calls(answer: dict[str, Any]) -> Iterator[dict[str, Any]]:
    """Every call context in an answer: a status or an action's, or each call of a floor."""
    if isinstance(answer.get("call_context"), dict):
        yield answer["call_context"]
    yield from answer.get("calls") or []


def assert_clean(answer: dict[str, Any]) -> None:
    """Fail, naming the place, where `answer` (a tool's structured content) breaks a rule of the picture."""
    for path, node in _walk(answer):
        assert node is not None, f"{path} is null: leave it out"
        if isinstance(node, dict):
            for one, other in SAME_FACT:
                assert not (one in node and other in node), f"{path} says one fact twice: {one} and {other}"
            assert "channel_flags" not in node, f"{path} carries CCC's raw flags string"
    subject = (answer.get("user_context") or {}).get("user_id")
    for call in _calls(answer):
        marked = [ch for ch in call["channel_contexts"] if ch.get("subject")]
        assert len(marked) <= 1, f"several channels marked as the subject: {marked}"
        for channel in call["channel_contexts"]:
            _assert_party(channel, subject)
            assert "job_id" not in channel, "a channel repeats its call's id"
            if "call_type" in channel:
                assert channel["call_type"] != call.get("call_type"), "a channel repeats its call's type"


def _assert_party(channel: dict[str, Any], subject: str | None) -> None:
    party = channel.get("party")
    assert party in ("agent", "external"), f"a channel without its party: {channel}"
    if party == "agent":
        assert channel.get("user_id"), f"an agent's channel without the agent: {channel}"
        assert "number" not in channel
        if subject is not None:
            assert bool(channel.get("subject")) == (channel["user_id"] == subject), f"subject wrongly marked: {channel}"
    else:
        assert not {"user_id", "name", "subject"} & set(channel), f"an outside party named as an agent: {channel}"


def spellings(answer: dict[str, Any]) -> Iterator[tuple[str, str]]:
    """(field, value) for every enumerated value in `answer`, to compare spellings across tools."""
    for path, node in _walk(answer):
        field = path.rsplit(".", 1)[-1].split("[", 1)[0]
        if field in SPELLED and isinstance(node, str):
            yield field, node
