"""The third part of `Settings` (config/settings.py): the HTTP transport and who may use it — the Host and
Origin values it accepts, the proxies whose X-Forwarded-For it believes, its read deadline, and OAuth (the
authorization server, the audience, the scopes, the agent claim and the scopes of rights). Its fields follow
`FanoutSettings`' in `--help` and docs/configuration.md (docs/architecture.md §3, "A setting"). The bearer
token is `CccSettings`' (its place in that order); the checks across settings (OAuth complete, a token or
OAuth but not both) are `Settings`'."""

from __future__ import annotations

import ipaddress
from typing import Annotated

from pydantic import Field, ValidationInfo, field_validator
from pydantic_settings import NoDecode

from ccc_mcp.config.fanout_limits import FanoutSettings
from ccc_mcp.config.parsing import blank_is_unset, split_list
from ccc_mcp.net.origins import HostRule, OriginRule

__all__ = ["HttpSettings"]


class HttpSettings(FanoutSettings):
    """The HTTP transport's hosts, origins, proxies and read deadline, and OAuth."""

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

    @field_validator("allowed_hosts", "allowed_origins", "forwarded_allow_ips", "required_scopes", mode="before")
    @classmethod
    def _split_http_lists(cls, value: object) -> object:
        return split_list(value)

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

    @field_validator("jwks_url", "jwt_issuer", "resource_url", "agent_claim", mode="before")
    @classmethod
    def _blank_oauth_is_unset(cls, value: object) -> object:
        return blank_is_unset(value)
