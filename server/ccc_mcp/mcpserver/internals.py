"""The MCP SDK's internals: where each fast path looks one up and checks it (architecture.md §4, "Depending
on SDK internals").

A fast path saves work the SDK's public way does per message by going through something the SDK does not
promise to keep: a private module, class, function or attribute. Each is looked up here by name when its
fast path starts (no request is made) and checked for the shape it is used with: present, a class or a
function taking the parameters it is called with. One that is missing or changed raises `Unusable`; its
fast path then logs one WARNING naming the SDK's version and the piece (`fall_back`) and serves that path the
SDK's public way. `CCC_MCP_SDK_FAST_PATHS=off` turns every fast path off, and nothing is looked up at all.
No other module of the package names a private SDK module or attribute (tests/repository/test_sdk_internals.py).
"""

from __future__ import annotations

import functools
import importlib
import inspect
import logging
from collections.abc import Sequence
from importlib import metadata
from typing import Any

__all__ = [
    "SWITCH",
    "Unusable",
    "attribute",
    "called_by_name",
    "fall_back",
    "module_attribute",
    "require_class",
    "require_parameters",
    "sdk_version",
]

SWITCH = "CCC_MCP_SDK_FAST_PATHS"

log = logging.getLogger(__name__)


class Unusable(Exception):
    """An SDK internal a fast path needs is missing or has another shape; the message names it."""


@functools.cache
def sdk_version() -> str:
    """The installed MCP SDK's version, as its distribution says."""
    try:
        return metadata.version("mcp")
    except metadata.PackageNotFoundError:
        return "(version unknown)"


def module_attribute(module: str, name: str) -> Any:
    """`module.name`, imported by name so that a module the SDK moved is an `Unusable`, not an ImportError
    at our own import."""
    try:
        loaded = importlib.import_module(module)
    except ImportError:
        raise Unusable(f"{module} is missing") from None
    return attribute(loaded, name, module)


def attribute(owner: object, name: str, where: str) -> Any:
    """`owner.name`; `where` says what the owner is, for the warning."""
    try:
        return getattr(owner, name)
    except AttributeError:
        raise Unusable(f"{where}.{name} is missing") from None


def require_class(value: Any, name: str) -> type:
    if not isinstance(value, type):
        raise Unusable(f"{name} is no longer a class")
    return value


def require_parameters(function: Any, name: str, parameters: Sequence[str], *, exact: bool = True) -> None:
    """`function` (or a class, for its constructor) takes `parameters`: exactly these, in this order, where
    it is called positionally or replaced; or (`exact=False`, for keyword calls) at least these, any other
    one optional."""
    try:
        found = inspect.signature(function).parameters
    except (TypeError, ValueError):
        raise Unusable(f"{name} is no longer callable") from None
    if exact:
        if list(found) != list(parameters):
            raise Unusable(f"{name} takes ({', '.join(found)}), not ({', '.join(parameters)})")
        return
    absent = [parameter for parameter in parameters if parameter not in found]
    required = [
        parameter.name
        for parameter in found.values()
        if parameter.name not in parameters
        and parameter.default is inspect.Parameter.empty
        and parameter.kind not in (inspect.Parameter.VAR_POSITIONAL, inspect.Parameter.VAR_KEYWORD)
    ]
    if absent or required:
        raise Unusable(f"{name} takes ({', '.join(found)}), not ({', '.join(parameters)})")


def called_by_name(function: Any, name: str, caller: str) -> None:
    """`function` reads `name` as it runs (an attribute or a global looked up per call), so replacing that name
    reaches it. Read from its code object: cheap, and conservative (a caller rewritten another way fails)."""
    code = getattr(function, "__code__", None)
    if code is None or name not in code.co_names:
        raise Unusable(f"{caller} no longer calls {name}")


def fall_back(fast_path: str, problem: str, public_way: str) -> None:
    """The one WARNING of a fast path that will not run: the SDK's version, what is missing, what serves instead."""
    log.warning(
        "MCP SDK %s: %s, so %s is off; served the SDK's public way instead: %s. "
        "(docs/architecture.md §4, \"Depending on SDK internals\"; %s=off turns every fast path off.)",
        sdk_version(), problem, fast_path, public_way, SWITCH,
    )  # fmt: skip
