"""Settings: one model, read from the environment, overridden by command-line flags.

Everything an operator can set lives here, with its environment variable and default, so the docs and
`--help` are generated from one source. Credentials are not here: they come from the official
Alibaba Cloud chain (see `api/credentials.py`).
"""

from __future__ import annotations

import argparse
import ipaddress
import re
import typing
from collections.abc import Callable, Collection, Mapping
from typing import Annotated, Any, Literal
from urllib.parse import urlsplit

from pydantic import Field, SecretStr, ValidationInfo, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from ccc_mcp.net.loopback import is_loopback_host
from ccc_mcp.net.origins import HostRule, OriginRule

__all__ = [
    "DEFAULT_DEVICE_ID",
    "STORAGE_SCHEMES",
    "Authentication",
    "Settings",
    "SimulatorSettings",
    "load_settings",
    "settings_options",
    "storage_scheme",
]

LogLevel = Literal["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"]
Authentication = Literal["oauth", "token"]

DEFAULT_DEVICE_ID = "ccc-mcp-server"

# The rate-limit storages `limits` serves asynchronously that we accept (policy/ratelimit.py).
STORAGE_SCHEMES = ("memory", "redis", "rediss", "redis+unix", "redis+sentinel", "redis+cluster")


def storage_scheme(url: str) -> str:
    """A storage URL's scheme, lower-cased ("" when it has none)."""
    return url.split("://", 1)[0].lower() if "://" in url else ""


class Settings(BaseSettings):
    """The server's configuration. Flags override the environment; the environment overrides defaults.
    Validation errors never quote the value given: some carry secrets (a token, Redis's password)."""

    model_config = SettingsConfigDict(
        env_prefix="", extra="ignore", frozen=True, validate_by_name=True, hide_input_in_errors=True
    )

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

    # --- list_calls: the fan-out over a floor (docs/architecture.md §4, "The whole floor in one call") ----
    fanout: int = Field(
        8,
        ge=1,
        le=64,
        validation_alias="CCC_MCP_FANOUT",
        description="list_calls: CCC requests in flight at once: enough to read a floor quickly, few enough "
        "that one call never takes over the connection pool (100 connections) or CCC.",
    )
    fanout_rate: float = Field(
        50.0,
        gt=0,
        validation_alias="CCC_MCP_FANOUT_RATE",
        description="list_calls: most CCC requests a second for all of one process's list_calls together, "
        "halved for a while after a throttling answer. CCC publishes no limit; 50 reads a 1,000-agent floor "
        "(about 640 requests) in some 13 s, inside the default deadline.",
    )
    floor_max: int = Field(
        1000,
        ge=1,
        le=10_000,
        validation_alias="CCC_MCP_FLOOR_MAX",
        description="list_calls: most agents on a call one list_calls reads; beyond it the answer is partial "
        "and says so.",
    )

    # --- HTTP transport -------------------------------------------------------------------------------
    allowed_hosts: Annotated[frozenset[str], NoDecode] = Field(
        frozenset(),
        validation_alias="CCC_MCP_ALLOWED_HOSTS",
        description="Extra Host header values the HTTP transport accepts (comma-separated, e.g. "
        "mcp.example.com); loopback names are always accepted.",
    )
    allowed_origins: Annotated[frozenset[str], NoDecode] = Field(
        frozenset(),
        validation_alias="CCC_MCP_ALLOWED_ORIGINS",
        description="Extra Origin values the HTTP transport accepts (comma-separated, e.g. "
        "https://app.example.com, or https://app.example.com:* for any port), matched exactly; loopback origins "
        "are always accepted.",
    )
    forwarded_allow_ips: Annotated[frozenset[str], NoDecode] = Field(
        frozenset(),
        validation_alias="CCC_MCP_FORWARDED_ALLOW_IPS",
        description="HTTP: addresses or networks of the reverse proxies whose X-Forwarded-For and "
        "X-Forwarded-Proto are believed (comma-separated, e.g. 127.0.0.1 or 10.0.0.0/8; * believes anyone). The "
        "client address then names the caller in the audit log and keys the rate limit without authentication. "
        "Empty: believed from nobody.",
        json_schema_extra={"metavar": "ADDRESSES"},
    )
    request_read_timeout: float = Field(
        10.0,
        gt=0,
        validation_alias="CCC_MCP_REQUEST_READ_TIMEOUT",
        description="HTTP: seconds a client has to send a request's headers (from connecting, or from the first "
        "byte of its next request), and again its body; a slower client is disconnected.",
    )
    jwks_url: str | None = Field(
        None,
        validation_alias="CCC_MCP_JWKS_URL",
        description="OAuth mode: JWKS URL of the authorization server whose JWTs clients present.",
    )
    jwt_issuer: str | None = Field(
        None, validation_alias="CCC_MCP_JWT_ISSUER", description="OAuth mode: the required JWT issuer (iss)."
    )
    resource_url: str | None = Field(
        None,
        validation_alias="CCC_MCP_RESOURCE_URL",
        description="OAuth mode: this server's public MCP URL, e.g. https://mcp.example.com/mcp; JWTs must "
        "name it as their audience.",
    )
    required_scopes: Annotated[frozenset[str], NoDecode] = Field(
        frozenset(),
        validation_alias="CCC_MCP_REQUIRED_SCOPES",
        description="OAuth mode: scopes a token must carry (comma-separated).",
    )
    agent_claim: str | None = Field(
        None,
        validation_alias="CCC_MCP_AGENT_CLAIM",
        description="OAuth mode: the token claim holding the caller's own CCC agent id (e.g. ccc_agent). "
        "When set, each caller's default agent is their own and the read, calls and supervise scopes decide "
        "what they may do; a token without the claim is refused.",
    )
    read_scope: str = Field(
        "ccc:read",
        validation_alias="CCC_MCP_READ_SCOPE",
        description="With CCC_MCP_AGENT_CLAIM: the scope that allows the read tools (list_agents, get_agent_status).",
    )
    calls_scope: str = Field(
        "ccc:calls",
        validation_alias="CCC_MCP_CALLS_SCOPE",
        description="With CCC_MCP_AGENT_CLAIM: the scope that allows call control on the caller's own agent only.",
    )
    supervise_scope: str = Field(
        "ccc:supervise",
        validation_alias="CCC_MCP_SUPERVISE_SCOPE",
        description="With CCC_MCP_AGENT_CLAIM: the scope that allows call control on any agent of the allowed "
        "instances.",
    )
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

    @field_validator(
        "allowed_instances", "allowed_hosts", "allowed_origins", "forwarded_allow_ips", "required_scopes", "tools",
        mode="before",
    )
    @classmethod
    def _split_list(cls, value: object) -> object:
        if isinstance(value, str):
            return frozenset(part.strip() for part in value.replace(" ", ",").split(",") if part.strip())
        return value

    @field_validator("sdk_fast_paths", mode="before")
    @classmethod
    def _lower_switch(cls, value: object) -> object:
        return value.strip().lower() if isinstance(value, str) else value

    @field_validator("auth_token", "rate_limit_storage", mode="before")
    @classmethod
    def _blank_secret_is_unset(cls, value: object, info: ValidationInfo) -> object:
        """A secret set to nothing (`CCC_MCP_AUTH_TOKEN=`) is not set: the field keeps its default."""
        text = value.get_secret_value() if isinstance(value, SecretStr) else value
        if isinstance(text, str) and not text.strip():
            return cls.model_fields[str(info.field_name)].default
        return text.strip() if isinstance(text, str) else value

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

    @field_validator("allowed_hosts", "allowed_origins")
    @classmethod
    def _check_rules(cls, value: frozenset[str], info: ValidationInfo) -> frozenset[str]:
        """An entry that could never match a request stops start-up (a trailing slash on an origin, say)."""
        name = str(info.field_name)
        try:
            (HostRule if name == "allowed_hosts" else OriginRule)(value)
        except ValueError as exc:
            raise ValueError(f"{cls.model_fields[name].validation_alias}: {exc}") from None
        return value

    @field_validator("forwarded_allow_ips")
    @classmethod
    def _check_proxies(cls, value: frozenset[str]) -> frozenset[str]:
        for entry in value:
            if entry == "*":
                continue
            try:
                ipaddress.ip_network(entry, strict=False)
            except ValueError:
                raise ValueError(f"CCC_MCP_FORWARDED_ALLOW_IPS: not an address or network: {entry!r}") from None
        return value

    @field_validator(
        "instance_id", "user_id", "endpoint", "jwks_url", "jwt_issuer", "resource_url", "agent_claim", mode="before"
    )
    @classmethod
    def _blank_is_unset(cls, value: object) -> object:
        if isinstance(value, str) and not value.strip():
            return None
        return value.strip() if isinstance(value, str) else value

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

    @property
    def authentication(self) -> Authentication | None:
        """How HTTP clients authenticate, if at all: the one answer the binding check, the application and the
        start-up line all use."""
        if self.jwks_url is not None:
            return "oauth"
        return "token" if self.auth_token is not None else None

    @model_validator(mode="after")
    def _check_oauth(self) -> Settings:
        oauth = {"CCC_MCP_JWKS_URL": self.jwks_url, "CCC_MCP_JWT_ISSUER": self.jwt_issuer,
                 "CCC_MCP_RESOURCE_URL": self.resource_url}  # fmt: skip
        missing = [name for name, value in oauth.items() if value is None]
        if self.jwks_url is not None and missing:
            raise ValueError(f"OAuth mode needs {', '.join(missing)} as well as CCC_MCP_JWKS_URL")
        if self.jwks_url is not None and self.auth_token is not None:
            raise ValueError("Set either CCC_MCP_AUTH_TOKEN or the OAuth settings (CCC_MCP_JWKS_URL ...), not both")
        if self.agent_claim is not None and self.jwks_url is None:
            raise ValueError("CCC_MCP_AGENT_CLAIM names a claim of OAuth tokens: it needs the OAuth settings too")
        return self

    @property
    def default_agent(self) -> bool:
        """Whether a call may omit user_id: a configured agent, `ram`, or the caller's own (agent claim)."""
        return self.user_id is not None or self.agent_claim is not None


def load_settings(**overrides: Any) -> Settings:
    """Environment plus explicit overrides (flags); `None` overrides are ignored so unset flags fall through."""
    given: dict[str, Any] = {name: value for name, value in overrides.items() if value is not None}
    return Settings(**given)


SimulatorLogLevel = Literal["debug", "info", "warning", "error"]


class SimulatorSettings(BaseSettings):
    """The settings of `ccc-mcp simulator`. Like `Settings`, flags override these environment variables."""

    model_config = SettingsConfigDict(
        env_prefix="", extra="ignore", frozen=True, validate_by_name=True, defer_build=True  # `serve` never builds it
    )

    host: str = Field(
        "127.0.0.1",
        validation_alias="CCC_SIM_HOST",
        description="Address to listen on. A non-loopback address also needs --allow-remote.",
    )
    port: int = Field(
        9000, ge=0, le=65535, validation_alias="CCC_SIM_PORT", description="TCP port; 0 picks a free one."
    )
    scenario: str | None = Field(
        None,
        validation_alias="CCC_SIM_SCENARIO",
        description="Scenario JSON file; unset: the built-in ccc-demo scenario.",
        json_schema_extra={"metavar": "FILE"},
    )
    faults: str | None = Field(
        None,
        validation_alias="CCC_SIM_FAULTS",
        description='Fault rules JSON file, a list or {"seed": N, "rules": [...]}.',
        json_schema_extra={"metavar": "FILE"},
    )
    seed: int = Field(
        0, validation_alias="CCC_SIM_SEED", description="Seed of the random draws of probabilistic faults."
    )
    floor: int | None = Field(
        None,
        ge=1,
        le=10_000,
        validation_alias="CCC_SIM_FLOOR",
        description="Add instance ccc-floor: a generated floor of N agents (1-10000) with a realistic mix of "
        "states, mutes, holds and consult calls, the same for the same N and seed; the scenario's own "
        "instances stay as they are. Unset: no floor.",
        json_schema_extra={"metavar": "N"},
    )
    floor_seed: int = Field(
        0,
        validation_alias="CCC_SIM_FLOOR_SEED",
        description="Seed of the floor: who is in which state, and the times. The counts depend on N alone.",
        json_schema_extra={"metavar": "SEED"},
    )
    fixed_clock: int | None = Field(
        None,
        validation_alias="CCC_SIM_FIXED_CLOCK",
        description="Answer as if it were always this epoch-ms instant (timestamps, heartbeats, durations), for "
        "byte-for-byte answers; signatures still use the real date. Unset: wall time.",
        json_schema_extra={"metavar": "EPOCH_MS"},
    )
    admin: bool = Field(
        False, validation_alias="CCC_SIM_ADMIN", description="Enable the admin API under /_admin/ for loopback clients."
    )
    allow_remote: bool = Field(
        False,
        validation_alias="CCC_SIM_ALLOW_REMOTE",
        description="Allow listening on a non-loopback address (the demo credentials are public).",
    )
    log_level: SimulatorLogLevel = Field(
        "info",
        validation_alias="CCC_SIM_LOG_LEVEL",
        description="Log level on stderr; info logs one line per request.",
    )

    @field_validator("log_level", mode="before")
    @classmethod
    def _lower(cls, value: object) -> object:
        return value.strip().lower() if isinstance(value, str) else value

    @field_validator("scenario", "faults", "fixed_clock", "floor", mode="before")
    @classmethod
    def _blank_is_unset(cls, value: object) -> object:
        return None if isinstance(value, str) and not value.strip() else value


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
