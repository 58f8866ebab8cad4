"""The first part of `Settings` (config/settings.py): CCC, the tools it is reached through, and how hard each
call tries — the region or endpoint, the default and allowed instances, the default agent and device, the
published tools, the HTTP bearer token, the log level, the timeouts, the deadline and the attempts.

`Settings` declares its fields in a single-inheritance chain, this class first: pydantic keeps a base's fields
before its subclass's, so the chain's order is the order of `--help` and docs/configuration.md
(docs/architecture.md §3, "A setting"). `auth_token` and `log_level` sit here, not with the HTTP transport
and the service, because this is their place in that order. The model's configuration is set here, once, for
the whole chain; the parts are never built on their own (`defer_build`): only `Settings` is.
"""

from __future__ import annotations

import re
from typing import Annotated, Literal
from urllib.parse import urlsplit

from pydantic import Field, SecretStr, ValidationInfo, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from ccc_mcp.config.parsing import blank_is_unset, blank_secret_is_unset, split_list
from ccc_mcp.net.loopback import is_loopback_host

__all__ = ["DEFAULT_DEVICE_ID", "CccSettings"]

LogLevel = Literal["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"]

DEFAULT_DEVICE_ID = "ccc-mcp-server"


class CccSettings(BaseSettings):
    """CCC, the published tools and each call's effort. Validation errors never quote the value given: some
    carry secrets (a token, Redis's password)."""

    model_config = SettingsConfigDict(
        env_prefix="", extra="ignore", frozen=True, validate_by_name=True, hide_input_in_errors=True,
        defer_build=True,  # a part of Settings, never built alone; Settings turns it off
    )  # fmt: skip

    region: str = Field("cn-shanghai", validation_alias="CCC_REGION", description="CCC region id.")
    endpoint: str | None = Field(
        None,
        validation_alias="CCC_ENDPOINT",
        description="Full base URL overriding the region's endpoint, e.g. http://127.0.0.1:9000 "
        "(plain http only for loopback).",
    )
    instance_id: str | None = Field(
        None,
        validation_alias="CCC_INSTANCE_ID",
        description="Instance used when a call omits instance_id (then instance_id is optional).",
    )
    allowed_instances: Annotated[frozenset[str], NoDecode] = Field(
        frozenset(),
        validation_alias="CCC_ALLOWED_INSTANCES",
        description="Comma-separated allow-list; calls for any other instance are refused before any "
        "request. Empty: any instance.",
    )
    user_id: str | None = Field(
        None,
        validation_alias="CCC_USER_ID",
        description="The agent a call acts for when it omits user_id: an agent id (name@instance), or `ram` "
        "for the agent CCC maps to the server's credentials (then no UserId is sent). Unset: user_id is "
        "required.",
    )
    device_id: str = Field(
        DEFAULT_DEVICE_ID,
        validation_alias="CCC_DEVICE_ID",
        description="DeviceId sent with every call-control and status request (CCC ignores its value, but "
        "the API page marks it required; tools do not ask the model for it).",
    )
    tools: Annotated[frozenset[str], NoDecode] = Field(
        frozenset(),
        validation_alias="CCC_MCP_TOOLS",
        description="Comma-separated names of the tools to publish; an unknown name stops start-up. Empty: "
        "every tool.",
    )
    read_only: bool = Field(
        False,
        validation_alias="CCC_MCP_READ_ONLY",
        description="Publish only the tools that change nothing (readOnlyHint true).",
    )
    auth_token: SecretStr | None = Field(
        None,
        validation_alias="CCC_MCP_AUTH_TOKEN",
        description="Bearer token clients must present on the HTTP transport: visible ASCII characters, no "
        "spaces. Empty or blank: no token (as if unset).",
    )
    log_level: LogLevel = Field("INFO", validation_alias="CCC_MCP_LOG_LEVEL", description="Log level (stderr).")
    connect_timeout: float = Field(
        5.0, gt=0, validation_alias="CCC_CONNECT_TIMEOUT", description="Seconds to connect to CCC."
    )
    read_timeout: float = Field(
        10.0, gt=0, validation_alias="CCC_READ_TIMEOUT", description="Seconds to wait for CCC's answer."
    )
    deadline: float = Field(
        15.0,
        gt=0,
        validation_alias="CCC_DEADLINE",
        description="Overall seconds for one tool call, all its CCC requests, retries and back-off included.",
    )
    max_attempts: int = Field(
        3,
        ge=1,
        le=10,
        validation_alias="CCC_MAX_ATTEMPTS",
        description="Attempts per CCC request (1 = no retry); a tool that looks ids up first makes two requests.",
    )

    # Validator names are unique along the chain: a subclass's method of the same name would replace this one.
    @field_validator("allowed_instances", "tools", mode="before")
    @classmethod
    def _split_ccc_lists(cls, value: object) -> object:
        return split_list(value)

    @field_validator("auth_token", mode="before")
    @classmethod
    def _blank_token_is_unset(cls, value: object, info: ValidationInfo) -> object:
        return blank_secret_is_unset(cls, value, info)

    @field_validator("auth_token")
    @classmethod
    def _check_token(cls, value: SecretStr | None) -> SecretStr | None:
        """A token a client can send as it is: never quoted, since it is a secret."""
        if value is not None and not re.fullmatch(r"[\x21-\x7e]+", value.get_secret_value()):
            raise ValueError(
                "CCC_MCP_AUTH_TOKEN may hold only visible ASCII characters (no spaces, control or non-ASCII "
                "characters): clients send it as it is in an HTTP header"
            )
        return value

    @field_validator("instance_id", "user_id", "endpoint", mode="before")
    @classmethod
    def _blank_ccc_id_is_unset(cls, value: object) -> object:
        return blank_is_unset(value)

    @field_validator("region", mode="before")
    @classmethod
    def _blank_region_is_default(cls, value: object) -> object:
        """An installer (a bundle host, a registry client) passes an optional field left empty as "": the default."""
        if isinstance(value, str) and not value.strip():
            return cls.model_fields["region"].default
        return value.strip() if isinstance(value, str) else value

    @field_validator("endpoint")
    @classmethod
    def _check_endpoint(cls, value: str | None) -> str | None:
        if value is None:
            return None
        if "://" not in value:
            value = f"https://{value}"
        parts = urlsplit(value)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(f"CCC_ENDPOINT must be an http(s) URL with a host, got {value!r}")
        try:
            parts.port  # noqa: B018 - reading it checks it
        except ValueError:
            raise ValueError(f"CCC_ENDPOINT has a port that is not a number from 0 to 65535: {value!r}") from None
        if parts.scheme == "http" and not is_loopback_host(parts.hostname):
            raise ValueError("CCC_ENDPOINT may use plain http only for a loopback host; use https")
        return value.rstrip("/")
