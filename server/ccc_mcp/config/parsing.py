"""How a setting's text becomes its value, for the validators of more than one part of `Settings`: a list
written with commas or spaces, a blank meaning unset (an installer passes an optional field left empty as
""), a blank secret meaning its default. Each part of the settings chain (docs/architecture.md §3, "A
setting") calls these from validators of its own fields."""

from __future__ import annotations

from pydantic import BaseModel, SecretStr, ValidationInfo

__all__ = ["blank_is_unset", "blank_secret_is_unset", "split_list"]


def split_list(value: object) -> object:
    """`a, b c,,` as {"a", "b", "c"}: the environment's text of a list setting (fields marked NoDecode)."""
    if isinstance(value, str):
        return frozenset(part.strip() for part in value.replace(" ", ",").split(",") if part.strip())
    return value


def blank_is_unset(value: object) -> object:
    """An optional text setting given as blanks is None; any other text is stripped."""
    if isinstance(value, str) and not value.strip():
        return None
    return value.strip() if isinstance(value, str) else value


def blank_secret_is_unset(model: type[BaseModel], value: object, info: ValidationInfo) -> object:
    """A secret set to nothing (`CCC_MCP_AUTH_TOKEN=`) is not set: the field keeps its default."""
    text = value.get_secret_value() if isinstance(value, SecretStr) else value
    if isinstance(text, str) and not text.strip():
        return model.model_fields[str(info.field_name)].default
    return text.strip() if isinstance(text, str) else value
