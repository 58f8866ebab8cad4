"""Reading request parameters off the wire, leniently, with CCC's errors when they are unusable.

Everything arrives as text (query or form body). The official Python SDK sends integers as decimal
strings, booleans as `True`/`False`, and list filters as JSON array strings it does not build itself, so
other clients may send `true`, ` 2 ` or `[]`. What can be read is read; what cannot is an error naming
the parameter. An optional value that is blank counts as omitted, like an optional id.

Two families of "required" exist, because CCC's error tables differ: the call-control family and
PollUserStatus answer `Parameter.Blank`, while ListUsers answers `Parameter.Null` (which the simulator
also uses for ListRealtimeAgentStates, whose own table lists no parameter errors).
"""

from __future__ import annotations

import json
from collections.abc import Mapping

from ccc_mcp.simulator.centre import is_blank, present
from ccc_mcp.simulator.directory import Page
from ccc_mcp.simulator.wire_errors import CccError

__all__ = ["Params", "boolean", "bounded_int", "json_list", "optional", "page", "required", "required_not_null"]

Params = Mapping[str, str]

PAGE_MIN = 1
PAGE_MAX = 100
_TRUE = "true"
_FALSE = "false"


def optional(params: Params, name: str) -> str | None:
    """The value, or None when absent or blank."""
    return present(params.get(name))


def required(params: Params, name: str) -> str:
    """Call-control style: missing, empty or whitespace -> `Parameter.Blank [name]`."""
    value = params.get(name)
    if value is None or is_blank(value):
        raise CccError("Parameter.Blank", name)
    return value


def required_not_null(params: Params, name: str) -> str:
    """ListUsers style: missing, empty or whitespace -> `Parameter.Null [name]`."""
    value = params.get(name)
    if value is None or is_blank(value):
        raise CccError("Parameter.Null", name)
    return value


def bounded_int(params: Params, name: str, low: int = PAGE_MIN, high: int = PAGE_MAX) -> int:
    """A required integer in [low, high]: `Parameter.Null`, `Parameter.Invalid`, `Parameter.Minimum [name,
    low]` or `Parameter.Maximum [name, high]`, as ListUsers' table words them."""
    text = required_not_null(params, name).strip()
    try:
        value = int(text)
    except ValueError:
        raise CccError("Parameter.Invalid", name) from None
    if value < low:
        raise CccError("Parameter.Minimum", name, str(low))
    if value > high:
        raise CccError("Parameter.Maximum", name, str(high))
    return value


def page(params: Params) -> Page:
    """PageNumber* and PageSize*, each 1-100."""
    return Page(bounded_int(params, "PageNumber"), bounded_int(params, "PageSize"))


def json_list(params: Params, name: str, max_items: int | None = None) -> list[str] | None:
    """A JSON array of strings, e.g. `["a@ccc-x", "b@ccc-x"]`; blank or `[]` means no filter.

    Not JSON, or not an array of strings -> `Parameter.Invalid [name]`; more than `max_items` entries ->
    `Parameter.Maximum [name, max_items]`.
    """
    text = optional(params, name)
    if text is None:
        return None
    try:
        value = json.loads(text)
    except json.JSONDecodeError:
        raise CccError("Parameter.Invalid", name) from None
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise CccError("Parameter.Invalid", name)
    if max_items is not None and len(value) > max_items:
        raise CccError("Parameter.Maximum", name, str(max_items))
    return value or None


def boolean(params: Params, name: str) -> bool | None:
    """`true`/`false` in any letter case (the Python SDK sends `True`/`False`); anything else is
    `Parameter.Invalid [name]`; blank means no value."""
    text = optional(params, name)
    if text is None:
        return None
    lowered = text.strip().lower()
    if lowered not in (_TRUE, _FALSE):
        raise CccError("Parameter.Invalid", name)
    return lowered == _TRUE
