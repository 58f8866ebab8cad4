"""Who may do what: the agent a call acts for, and the rights a caller's token scopes give.

Without an agent claim (stdio, the static bearer token, OAuth without `CCC_MCP_AGENT_CLAIM`) every caller
has every right, as before. With it, three scopes decide (names configurable): the read scope allows the
read tools on any agent; the calls scope allows call control on the caller's own agent only; the
supervise scope allows call control on any agent of the allowed instances. Every refusal happens before
any request to CCC, and is answered (and audited) like any other result.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Literal

from ccc_mcp.api.errors import describe
from ccc_mcp.api.models import ErrorInfo
from ccc_mcp.config.settings import Settings
from ccc_mcp.policy.identity import Caller

__all__ = ["RAM", "Access", "allowed", "refusal", "target_agent"]

Access = Literal["read", "call"]
"""What a tool does, for rights: `read` looks (any agent, with the read scope); `call` controls a call."""

RAM = "ram"  # CCC_USER_ID=ram: act for the agent CCC maps to the server's credentials (send no UserId)


def target_agent(given: str | None, caller: Caller, settings: Settings) -> tuple[str | None, bool]:
    """(the UserId to send, whether there is one to act for). None with True means "send no UserId, CCC
    uses the credentials' agent"; (None, False) means nobody was named and there is no default."""
    if given is not None:
        return given, True
    if caller.agent is not None:
        return caller.agent, True
    if settings.user_id is None:
        return None, False
    return (None, True) if settings.user_id.lower() == RAM else (settings.user_id, True)


def _needed(access: Access, settings: Settings) -> tuple[str, ...]:
    """The scopes any one of which allows `access` (the first is the one a refusal names)."""
    if access == "read":
        return (settings.read_scope,)
    return (settings.calls_scope, settings.supervise_scope)


def allowed(caller: Caller, tools: Iterable[tuple[str, Access]], settings: Settings) -> frozenset[str]:
    """The names of the tools a caller's scopes allow (all of them for a caller not limited by scope)."""
    if caller.scopes is None:
        return frozenset(name for name, _ in tools)
    return frozenset(name for name, access in tools if caller.scopes & set(_needed(access, settings)))


def refusal(caller: Caller, access: Access, agent: str | None, settings: Settings) -> ErrorInfo | None:
    """Why this caller may not use a tool of `access` on `agent`, or None when they may."""
    scopes = caller.scopes
    if scopes is None:
        return None
    needed = _needed(access, settings)
    if not scopes & set(needed):
        return describe(
            "Forbidden.Scope",
            f"Your sign-in lacks the scope {needed[0]}, which this tool needs; nothing was sent to CCC.",
            params=[needed[0]],
        )
    if access == "call" and settings.supervise_scope not in scopes and agent != caller.agent:
        return describe(
            "Forbidden.Agent",
            f"You may control only your own agent's calls ({caller.agent}), not {agent}; nothing was sent to CCC.",
            params=[str(agent), str(caller.agent)],
        )
    return None
