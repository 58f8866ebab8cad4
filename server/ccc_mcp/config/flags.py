"""Command-line options generated from a settings model, so `--help` and the docs come from the model itself
(docs/architecture.md §3, "A setting"): the server's `Settings` and the simulator's `SimulatorSettings`."""

from __future__ import annotations

import argparse
import typing
from collections.abc import Callable, Collection, Mapping
from typing import Any, Literal

from pydantic_settings import BaseSettings

__all__ = ["settings_options"]


def settings_options(
    parser: argparse.ArgumentParser,
    model: type[BaseSettings],
    *,
    current: Mapping[str, object] | None = None,
    skip: Collection[str] = (),
) -> None:
    """One command-line option per field of `model`: `--name-with-dashes`, with the field's description, its
    environment variable and its default as help, so `--help` and the docs come from the model itself.

    Without `current`, every option defaults to None, so an unset flag falls through to the environment
    when the model is built (the server's way). With `current`, options default to those values and are
    converted by type (the simulator's way: its parser shows the environment's values)."""
    for name, field in model.model_fields.items():
        if name in skip:
            continue
        flag = f"--{name.replace('_', '-')}"
        env = field.validation_alias
        default = current.get(name) if current is not None else None
        if field.annotation is bool:  # an on/off setting is a switch, not a flag that takes a value
            parser.add_argument(
                flag, dest=name, default=default, action="store_const", const=True,
                help=f"{field.description} Env {env}=true; default off.",
            )  # fmt: skip
            continue
        shown = field.default if field.default not in (None, frozenset()) else "none"
        extra = field.json_schema_extra if isinstance(field.json_schema_extra, dict) else {}
        options: dict[str, Any] = {"default": default, "metavar": extra.get("metavar", name.upper())}
        if current is not None:
            options.update(_conversion(field.annotation))
        parser.add_argument(flag, dest=name, help=f"{field.description} Env {env}; default {shown}.", **options)


def _conversion(annotation: object) -> dict[str, Any]:
    """argparse `type` (and `choices`) for a field's annotation: int, a Literal of words, or text."""
    kinds = [kind for kind in typing.get_args(annotation) if kind is not type(None)] or [annotation]
    kind = kinds[0]
    if kind is int:
        return {"type": int}
    if typing.get_origin(kind) is Literal:
        lower: Callable[[str], str] = str.lower
        return {"type": lower, "choices": typing.get_args(kind), "metavar": None}
    return {}
