"""Settings: one model, read from the environment, overridden by command-line flags.

Everything an operator can set is a field of `Settings`, with its environment variable and default, so the
docs and `--help` are generated from one source. The fields are declared in a single-inheritance chain of
parts, each in a module named for its role and holding the validators of its own fields: `config.ccc`
(CCC, the tools, each call's effort) → `config.fanout` (list_calls) → `config.http` (the HTTP transport,
OAuth) → `config.serving` (rate limits, workers, audit, metrics, shutdown, SDK fast paths). Their order is the
order of `--help` and docs/configuration.md (docs/architecture.md §3, "A setting"). Here: what spans the
parts — the checks across settings and the answers derived from several — and `load_settings`.
Credentials are not settings: they come from the official Alibaba Cloud chain (see `api/credentials.py`).
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import model_validator
from pydantic_settings import SettingsConfigDict

from ccc_mcp.config.serving import ServingSettings

__all__ = ["Authentication", "Settings", "load_settings"]

Authentication = Literal["oauth", "token"]


class Settings(ServingSettings):
    """The server's configuration. Flags override the environment; the environment overrides defaults.
    Validation errors never quote the value given: some carry secrets (a token, Redis's password)."""

    model_config = SettingsConfigDict(defer_build=False)  # the parts are deferred (config/ccc.py); this one is built

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

