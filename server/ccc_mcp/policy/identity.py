"""Who is calling: the authenticated principal on HTTP, the peer address otherwise, "stdio" on stdio —
and, when tokens name the caller's own CCC agent (`CCC_MCP_AGENT_CLAIM`), that agent and the token's scopes.

Used for the audit log, as the rate limiter's key, and for rights. The identity comes from the verified
token (its subject or client id, and the agent claim the verifier checked), never from anything the
client merely asserts.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from mcp.server.auth.middleware.auth_context import get_access_token

__all__ = ["AGENT_KEY", "Caller", "identify"]

AGENT_KEY = "ccc_agent"  # where the verifier puts the checked agent id among AccessToken.claims


@dataclass(frozen=True, slots=True)
class Caller:
    principal: str | None
    address: str | None
    agent: str | None = None  # the caller's own CCC agent, from a verified token claim
    scopes: frozenset[str] | None = None  # None: not limited by scope (stdio, static token, OAuth without a claim)

    @property
    def key(self) -> str:
        """The rate-limit key: one bucket per principal, or per address when unauthenticated."""
        return self.principal or self.address or "stdio"

    def __str__(self) -> str:
        if self.principal and self.address:
            return f"{self.principal}@{self.address}"
        return self.principal or (f"anonymous@{self.address}" if self.address else "stdio")


def identify(request_context: Any) -> Caller:
    token = get_access_token()
    principal = (token.subject or token.client_id) if token is not None else None
    request = getattr(request_context, "request", None)
    client = getattr(request, "client", None)
    address = getattr(client, "host", None)
    claims = (token.claims or {}) if token is not None else {}
    agent = claims.get(AGENT_KEY)
    if token is None or not isinstance(agent, str):
        return Caller(principal, address)
    return Caller(principal, address, agent=agent, scopes=frozenset(token.scopes))
