"""The two state vocabularies and the lenient parameter readers, as pure functions."""

from __future__ import annotations

import pytest

from ccc_mcp.simulator.directory import Page, realtime_call_type, realtime_state
from ccc_mcp.simulator.params import boolean, bounded_int, json_list
from ccc_mcp.simulator.wire_errors import CccError


@pytest.mark.parametrize(
    ("user_state", "state"),
    [("READY", "Ready"), ("TALKING", "Talking"), ("WORKING", "ACW"), ("RINGING", "Ringing"), ("BREAK", "Break"),
     ("OFFLINE", "Offline"), ("DIALING", "Dialing"), ("working", "ACW"), ("CONSULTING", "Consulting")],
)
def test_user_states_map_to_realtime_states(user_state: str, state: str) -> None:
    assert realtime_state(user_state) == state


@pytest.mark.parametrize(
    ("call_type", "realtime"),
    [("INBOUND", "Inbound"), ("OUTBOUND", "Outbound"), ("INTERNAL", "Internal"), ("BACK2BACK", "Back2Back"),
     ("PREDICTIVE", "Predictive"), ("CONFERENCE", "Conference"), ("PRIVACY_DIAL", "PrivacyDial"), ("BARGE", "Barge")],
)
def test_call_types_map_to_realtime_call_types(call_type: str, realtime: str) -> None:
    assert realtime_call_type(call_type) == realtime


@pytest.mark.parametrize(("text", "value"), [("True", True), ("true", True), ("TRUE", True), ("False", False),
                                             ("false", False), (" fAlSe ", False)])
def test_booleans_in_any_letter_case(text: str, value: bool) -> None:
    assert boolean({"B": text}, "B") is value


@pytest.mark.parametrize("text", ["1", "yes", "Truth"])
def test_other_booleans_are_invalid(text: str) -> None:
    with pytest.raises(CccError) as excinfo:
        boolean({"B": text}, "B")
    assert (excinfo.value.code, excinfo.value.params) == ("Parameter.Invalid", ("B",))


def test_blank_optionals_are_omitted() -> None:
    assert boolean({"B": " "}, "B") is None
    assert json_list({"L": ""}, "L") is None
    assert json_list({"L": "[]"}, "L") is None
    assert json_list({}, "L") is None


def test_json_lists_keep_their_order_and_limit() -> None:
    assert json_list({"L": '["b", "a"]'}, "L", max_items=2) == ["b", "a"]
    with pytest.raises(CccError) as excinfo:
        json_list({"L": '["a", "b", "c"]'}, "L", max_items=2)
    assert (excinfo.value.code, excinfo.value.params) == ("Parameter.Maximum", ("L", "2"))


@pytest.mark.parametrize(("text", "value"), [("1", 1), ("100", 100), (" 7 ", 7), ("007", 7)])
def test_bounded_ints_are_read_leniently(text: str, value: int) -> None:
    assert bounded_int({"N": text}, "N") == value


def test_a_page_slices_its_rows() -> None:
    rows = list(range(7))
    assert (Page(1, 3).of(rows), Page(3, 3).of(rows), Page(4, 3).of(rows)) == ([0, 1, 2], [6], [])
