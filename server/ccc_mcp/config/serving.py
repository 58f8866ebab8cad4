"""The fourth part of `Settings` (config/settings.py): the server as a service — per-client rate limits and
where they are counted, the worker processes, the largest body, the audit log, /metrics, the shutdown grace
and the switch of the SDK fast paths. Its fields follow `HttpSettings`' in `--help` and docs/configuration.md
(docs/architecture.md §3, "A setting"); a new setting goes at the end of this class unless another part is
its place."""

from __future__ import annotations

import re
from typing import Literal

from pydantic import Field, SecretStr, ValidationInfo, field_validator

from ccc_mcp.config.http import HttpSettings
from ccc_mcp.config.parsing import blank_secret_is_unset

__all__ = ["STORAGE_SCHEMES", "ServingSettings", "storage_scheme"]

# The rate-limit storages `limits` serves asynchronously that we accept (policy/ratelimit.py).
STORAGE_SCHEMES = ("memory", "redis", "rediss", "redis+unix", "redis+sentinel", "redis+cluster")


def storage_scheme(url: str) -> str:
    """A storage URL's scheme, lower-cased ("" when it has none)."""
    return url.split("://", 1)[0].lower() if "://" in url else ""


class ServingSettings(HttpSettings):
    """Rate limits, workers, the body limit, audit, metrics, shutdown, the SDK fast paths."""

    rate_limit: int = Field(
        120,
        ge=0,
        validation_alias="CCC_MCP_RATE_LIMIT",
        description="HTTP: tool calls per client in any 60 seconds (a moving window; a whole number); 0 disables. "
        "A refused call answers a Throttling error saying how long to wait, and counts for nothing. Not applied "
        "on stdio.",
    )
    rate_burst: int = Field(
        20,
        ge=1,
        validation_alias="CCC_MCP_RATE_BURST",
        description="HTTP: calls per client in any ceil(60 x burst / rate) seconds, the time the steady rate "
        "takes to earn them (a second moving window): 120 a minute with bursts of 20 is at most 20 calls in any "
        "10 seconds and 120 in any 60.",
    )
    rate_limit_storage: SecretStr = Field(
        "memory://",  # validated into a SecretStr (validate_default), shown as it is in --help
        validate_default=True,
        validation_alias="CCC_MCP_RATE_LIMIT_STORAGE",
        description="HTTP: where the per-client counts live. memory:// counts in each process alone (N replicas "
        "or workers allow N times the limit); redis://[:password@]host:port/db (also rediss://, redis+unix://, "
        "redis+sentinel://, redis+cluster://) shares them between every replica. Each Redis command gets 0.5 s; "
        "when Redis fails, each process limits alone in memory with the same limits, logs one warning, and tries "
        "Redis again every 5 s. Put a password in the environment, not the flag (ps shows flags); it is never "
        "logged.",
        json_schema_extra={"metavar": "URL"},
    )
    workers: int = Field(
        1,
        ge=1,
        le=64,
        validation_alias="CCC_MCP_WORKERS",
        description="HTTP: server processes sharing the port, each with its own CCC connections; with "
        "memory:// rate limits each limits alone. Refused on stdio.",
    )
    max_body_bytes: int = Field(
        65536,
        ge=1024,
        validation_alias="CCC_MCP_MAX_BODY_BYTES",
        description="HTTP: largest request body accepted, in bytes.",
    )
    audit_log: str = Field(
        "stderr",
        validation_alias="CCC_MCP_AUDIT_LOG",
        description="Where the audit log (one JSON line per tool call) goes: stderr, off, or a file path.",
    )
    metrics_public: bool = Field(
        False,
        validation_alias="CCC_MCP_METRICS_PUBLIC",
        description="HTTP: serve /metrics without authentication (by default it needs the same token as /mcp).",
    )
    shutdown_grace: float = Field(
        10.0,
        ge=0,
        validation_alias="CCC_MCP_SHUTDOWN_GRACE",
        description="Seconds in-flight calls get to finish: on HTTP after SIGTERM, on stdio after stdin ends.",
    )
    sdk_fast_paths: Literal["on", "off"] = Field(
        "on",
        validation_alias="CCC_MCP_SDK_FAST_PATHS",
        description="off: serve every path the MCP SDK's public way, with none of the fast paths that go through "
        "SDK internals (stdio: the SDK's own transport and era choice; HTTP: the SDK's stateless handling of "
        "every request; the SDK's span per message kept), for an SDK release that breaks one. on: each fast "
        "path checks its internals at start-up and falls back by itself, with a warning, when one is missing.",
        json_schema_extra={"metavar": "{on,off}"},
    )

    @field_validator("sdk_fast_paths", mode="before")
    @classmethod
    def _lower_switch(cls, value: object) -> object:
        return value.strip().lower() if isinstance(value, str) else value

    @field_validator("rate_limit_storage", mode="before")
    @classmethod
    def _blank_storage_is_default(cls, value: object, info: ValidationInfo) -> object:
        return blank_secret_is_unset(cls, value, info)

    @field_validator("rate_limit_storage")
    @classmethod
    def _check_storage(cls, value: SecretStr) -> SecretStr:
        """Only the scheme is ever shown: the URL may carry Redis's password."""
        scheme = storage_scheme(value.get_secret_value().strip())
        if scheme not in STORAGE_SCHEMES:
            accepted = ", ".join(f"{name}://" for name in STORAGE_SCHEMES)
            shown = repr(scheme) if re.fullmatch(r"[a-z][a-z0-9+.-]{0,19}", scheme) else "none recognisable"
            raise ValueError(f"CCC_MCP_RATE_LIMIT_STORAGE must be one of {accepted} (got scheme {shown})")
        return SecretStr(value.get_secret_value().strip())
