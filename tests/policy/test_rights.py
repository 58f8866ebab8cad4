"""Who may do what (policy/rights.py): a caller limited to their own line is compared with the agent a call
acts for exactly — the same id, not one that starts with it or differs in case — and the scopes are looked up
by name, never by part of one. tests/transports/test_oauth_rights.py shows the same over HTTP."""

from __future__ import annotations

import pytest

from ccc_mcp.config.settings import load_settings
from ccc_mcp.policy.identity import Caller
from ccc_mcp.policy.rights import allowed, refusal

OAUTH = {"jwks_url": "https://auth.example/jwks", "jwt_issuer": "https://auth.example",
         "resource_url": "https://mcp.example/mcp", "agent_claim": "ccc_agent"}  # fmt: skip
SETTINGS = load_settings(**OAUTH)


def agent(scopes: str, own: str = "ann@x") -> Caller:
    return Caller("u-1", "10.0.0.1", agent=own, scopes=frozenset(scopes.split()))


@pytest.mark.parametrize("target", ["ann@x2", "ann@x.evil", "ann", "ann@", "Ann@x", "ann@x ", " ann@x", "ann@X"])
def test_an_own_line_caller_may_not_act_on_an_agent_whose_id_only_looks_like_theirs(target: str) -> None:
    error = refusal(agent("ccc:calls"), "call", target, SETTINGS)
    assert error is not None
    assert (error.code, error.params) == ("Forbidden.Agent", [target, "ann@x"])


def test_an_own_line_caller_may_act_on_their_own_agent() -> None:
    assert refusal(agent("ccc:calls"), "call", "ann@x", SETTINGS) is None


def test_a_supervisor_may_act_on_anyone_and_a_reader_may_look_at_anyone() -> None:
    assert refusal(agent("ccc:supervise"), "call", "bob@x", SETTINGS) is None
    assert refusal(agent("ccc:read"), "read", "bob@x", SETTINGS) is None


@pytest.mark.parametrize("scopes", ["ccc:calls", "ccc:read", "ccc:supervise:all", "ccc:supervisor", "ccc", ""])
def test_only_the_supervise_scope_itself_allows_another_agents_line(scopes: str) -> None:
    error = refusal(agent(scopes), "call", "bob@x", SETTINGS)
    assert error is not None
    assert error.code in ("Forbidden.Agent", "Forbidden.Scope")


@pytest.mark.parametrize("scopes", ["ccc:reader", "ccc:rea", "ccc:calls ccc:read-only", "CCC:READ"])
def test_a_scope_that_only_resembles_the_read_scope_allows_no_read_tool(scopes: str) -> None:
    tools = [("list_agents", "read"), ("unmute_call", "call")]
    assert "list_agents" not in allowed(agent(scopes), tools, SETTINGS)  # type: ignore[arg-type]
    error = refusal(agent(scopes), "read", "ann@x", SETTINGS)
    assert error is not None
    assert error.code == "Forbidden.Scope"


def test_a_caller_not_limited_by_scope_has_every_right() -> None:
    unlimited = Caller("static-token", "10.0.0.1")
    assert refusal(unlimited, "call", "anyone@x", SETTINGS) is None
    assert allowed(unlimited, [("list_agents", "read"), ("unmute_call", "call")], SETTINGS) == {
        "list_agents", "unmute_call"
    }
