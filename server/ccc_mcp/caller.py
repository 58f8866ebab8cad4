"""Who is calling: the authenticated principal on HTTP, the peer address otherwise, "stdio" on stdio.

Used for the audit log and as the rate limiter's key. The identity comes from the verified token (its
subject or client id), never from anything the client merely asserts.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from mcp.server.auth.middleware.auth_context import get_access_token


@dataclass(frozen=True, slots=True)
class Caller:
    principal: str | None
    address: str | None

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
    return Caller(principal, address)
