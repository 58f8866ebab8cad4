"""Validation of tool arguments into structured errors, before any request is sent.

The SDK's own validation would answer bad input with raw pydantic text (echoing the values and a URL),
so tools validate the raw `arguments` object themselves against a pydantic model: the same model that
publishes the `inputSchema`, so schema and validation cannot drift. Every failure names the argument.
"""

from __future__ import annotations

import json
import unicodedata
from functools import cache
from typing import Annotated, Any, TypeVar

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, ValidationError, create_model
from pydantic_core import PydanticCustomError

from ccc_mcp.api.errors import describe
from ccc_mcp.api.models import ErrorInfo

__all__ = ["Identifier", "ToolArguments", "requiring_user", "validate_arguments"]

MAX_ID_LENGTH = 256

ArgumentsT = TypeVar("ArgumentsT", bound="ToolArguments")


def _strip_surrounding_space(value: object) -> object:
    """Models often add a stray space or newline around an id; inner whitespace is still refused."""
    return value.strip() if isinstance(value, str) else value


def _check_identifier(value: str) -> str:
    if not value:
        raise PydanticCustomError("blank", "may not be null or blank")
    for char in value:
        category = unicodedata.category(char)
        if category in ("Cc", "Cf", "Zl", "Zp"):
            raise PydanticCustomError("control_character", f"contains a control character (U+{ord(char):04X})")
        if category == "Cs":  # legal in a JSON string, but not text: it cannot be encoded, signed or sent
            raise PydanticCustomError("surrogate", f"contains a lone surrogate (U+{ord(char):04X}), which is not text")
    return value


Identifier = Annotated[
    str,
    BeforeValidator(_strip_surrounding_space),
    Field(min_length=1, max_length=MAX_ID_LENGTH),
    AfterValidator(_check_identifier),
]
"""A CCC id argument: a non-blank string of at most 256 characters with no control characters."""


class ToolArguments(BaseModel):
    """Base of every tool's arguments: strict strings (no coercion), unknown names refused."""

    model_config = ConfigDict(strict=True, extra="forbid", frozen=True, defer_build=True)


def _describe_error(error: Any) -> ErrorInfo:
    kind = error["type"]
    name = ".".join(str(part) for part in error["loc"]) if error["loc"] else "arguments"
    absent = kind == "string_type" and error["input"] is None
    blank_text = kind == "too_short" and isinstance(error.get("input"), str)  # whitespace only, once trimmed
    if absent or blank_text or kind in ("missing", "blank", "string_too_short"):
        return describe("Parameter.Blank", f"The parameter {name} may not be null or blank.", params=[name])
    if kind in ("string_type", "int_type", "list_type"):
        wanted = {"string_type": "a string", "int_type": "an integer", "list_type": "an array"}[kind]
        got = _json_type_name(error.get("input"))
        message = f"The parameter {name} must be {wanted}, not {got}."
    elif kind == "string_too_long":
        message = f"The parameter {name} is longer than {MAX_ID_LENGTH} characters."
    elif kind == "too_short":
        message = f"The parameter {name} must list at least one value; omit it to not filter."
    elif kind == "too_long":
        message = f"The parameter {name} lists more values than allowed ({error['ctx'].get('max_length')})."
    elif kind == "literal_error":
        message = f"The parameter {name} is not one of the allowed values: {error['ctx'].get('expected')}."
    elif kind in ("greater_than_equal", "less_than_equal"):
        message = f"The parameter {name} is out of range: {error['msg'].lower()}."
    elif kind == "extra_forbidden":
        message = f"Unknown argument {_quoted(name)}; this tool does not accept it."
    elif kind == "control_character":
        message = f"The parameter {name} {error['msg']}; ids never contain control characters."
    elif kind == "surrogate":
        message = f"The parameter {name} {error['msg']}; send ids as valid UTF-8 text."
    else:
        message = f"The parameter {name} is not valid: {error['msg']}."
    return describe("Parameter.Invalid", message, params=[name])


def _quoted(name: str, limit: int = 64) -> str:
    """A caller's argument name as JSON, shortened: it may be empty, odd or very long."""
    return json.dumps(name if len(name) <= limit else name[:limit] + "...", ensure_ascii=False)


def _json_type_name(value: object) -> str:
    names = {bool: "a boolean", int: "a number", float: "a number", str: "a string", list: "an array",
             dict: "an object"}  # fmt: skip
    return "null" if value is None else names.get(type(value), type(value).__name__)


def validate_arguments(model: type[ArgumentsT], raw: object) -> ArgumentsT | ErrorInfo:
    """The validated arguments, or the first problem as a structured error (values never echoed)."""
    if not isinstance(raw, dict):
        return describe("Parameter.Invalid", "The arguments must be a JSON object.", params=["arguments"])
    try:
        return model.model_validate(raw)
    except ValidationError as exc:
        return _describe_error(exc.errors(include_url=False)[0])


@cache
def requiring_user(model: type[ArgumentsT]) -> type[ArgumentsT]:
    """`model` with `user_id` required: the form a deployment without a default agent publishes and
    validates (with one, `user_id` may be omitted). Built once per model; same name, same field order."""
    field = model.model_fields["user_id"]
    required = Field(description=field.description, examples=field.examples)
    return create_model(model.__name__, __base__=model, __doc__=model.__doc__, user_id=(Identifier, required))
