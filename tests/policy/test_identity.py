"""Who is calling (policy/identity.py): the rate limiter's key tells clients apart — one bucket per
authenticated principal, or per address without authentication — and the audit names the caller the same way."""

from __future__ import annotations

from ccc_mcp.policy.identity import Caller


def test_each_principal_has_its_own_key_wherever_it_calls_from() -> None:
    alice, bob = Caller("alice", "10.0.0.1"), Caller("bob", "10.0.0.1")
    assert alice.key != bob.key
    assert Caller("alice", "10.0.0.2").key == alice.key


def test_without_authentication_each_address_has_its_own_key() -> None:
    one, other = Caller(None, "10.0.0.1"), Caller(None, "10.0.0.2")
    assert one.key != other.key


def test_the_audit_names_the_principal_and_the_address() -> None:
    assert str(Caller("alice", "10.0.0.1")) == "alice@10.0.0.1"
    assert str(Caller(None, "10.0.0.1")) == "anonymous@10.0.0.1"
    assert str(Caller(None, None)) == "stdio"
