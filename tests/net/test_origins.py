"""Host and Origin values matched exactly (net/origins.py): a value is taken apart into scheme, name and port
first, and only a value that is exactly that can match; a rule is never a prefix."""

from __future__ import annotations

import pytest

from ccc_mcp.net.origins import ANY_PORT, Authority, HostRule, OriginRule, parse_authority, parse_origin


@pytest.mark.parametrize(
    ("value", "parsed"),
    [
        ("localhost", Authority("localhost", None)),
        ("LocalHost:8000", Authority("localhost", 8000)),
        ("[::1]:8443", Authority("[::1]", 8443)),
        ("[2001:db8::1]", Authority("[2001:db8::1]", None)),
        ("ccc_mcp:8000", Authority("ccc_mcp", 8000)),  # a container's service name
        ("localhost:18803.evil.example", None),
        ("127.0.0.1:8000@evil.example", None),
        ("localhost:", None),
        ("localhost:65536", None),
        ("localhost:+80", None),
        ("localhost:８０", None),  # full-width digits are digits to str.isdigit
        ("local host", None),
        ("", None),
        ("[::1", None),
        ("[::1]x", None),
        ("ｌocalhost", None),
    ],
)
def test_an_authority_is_a_name_and_at_most_a_numeric_port(value: str, parsed: Authority | None) -> None:
    assert parse_authority(value) == parsed


@pytest.mark.parametrize(
    ("value", "parsed"),
    [
        ("http://localhost", ("http", Authority("localhost", 80))),
        ("https://app.example.com", ("https", Authority("app.example.com", 443))),
        ("https://app.example.com:8443", ("https", Authority("app.example.com", 8443))),
        ("http://localhost:8000/", None),
        ("http://user@localhost", None),
        ("http://localhost?x", None),
        ("ftp://localhost", None),
        ("null", None),
        ("localhost:8000", None),
    ],
)
def test_an_origin_is_a_scheme_and_an_authority_with_its_port_made_explicit(
    value: str, parsed: tuple[str, Authority] | None
) -> None:
    assert parse_origin(value) == parsed


@pytest.mark.parametrize(
    ("origin", "allowed"),
    [
        ("http://localhost:6274", True),
        ("http://127.0.0.1", True),
        ("http://[::1]:8000", True),
        ("http://localhost.evil.example", False),  # starts with the allowed http://localhost
        ("http://localhost:1.evil.example", False),  # starts with the allowed http://localhost:
        ("http://127.0.0.1:8000@evil.example", False),
        ("http://127.0.0.1.nip.io", False),
        ("https://localhost:8000", False),
        ("https://app.example.com", True),
        ("https://app.example.com:443", True),
        ("https://app.example.com.evil.example", False),
        ("https://app.example.co", False),
        ("http://app.example.com", False),
        ("https://tools.example.com:9443", True),
        ("https://tools.example.com", True),
    ],
)
def test_an_origin_is_allowed_only_when_scheme_name_and_port_match(origin: str, allowed: bool) -> None:
    rule = OriginRule(frozenset({"https://app.example.com", "https://tools.example.com:*"}))
    assert rule.allows(origin) is allowed


@pytest.mark.parametrize(
    ("host", "allowed"),
    [
        ("127.0.0.1:8000", True),
        ("localhost", True),
        ("LOCALHOST:1", True),
        ("localhost.evil.example", False),
        ("localhost:18803.evil.example", False),
        ("mcp.example.com", True),
        ("mcp.example.com:8443", True),
        ("mcp.example.com.evil.example", False),
        ("api.example.com:443", True),
        ("api.example.com", False),
        ("api.example.com:8443", False),
    ],
)
def test_a_host_is_allowed_only_when_name_and_port_match(host: str, allowed: bool) -> None:
    assert HostRule(frozenset({"mcp.example.com", "api.example.com:443"})).allows(host) is allowed


@pytest.mark.parametrize("entry", ["https://app.example.com/", "app.example.com", "https://*.example.com", "null"])
def test_an_origin_rule_that_could_never_match_is_refused(entry: str) -> None:
    with pytest.raises(ValueError, match="not an origin"):
        OriginRule(frozenset({entry}))


def test_a_host_rule_may_name_any_port() -> None:
    assert parse_authority("mcp.example.com:*", wildcard=True) == Authority("mcp.example.com", ANY_PORT)
    assert HostRule(frozenset({"mcp.example.com:*"})).allows("mcp.example.com:1")
    with pytest.raises(ValueError, match="not a host name"):
        HostRule(frozenset({"https://mcp.example.com"}))
