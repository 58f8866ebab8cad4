"""Host and Origin values, parsed strictly and matched exactly: scheme, host name and port, never a prefix.

The MCP SDK's own check compares by prefix, so `Origin: http://localhost:1.evil.example` (a real origin a
web page can have) passed its `http://localhost:*` rule (docs/architecture.md §4, "Host and Origin"). Here a
value is taken apart first — a name, then nothing but an optional `:port` of digits — and a value that is
not exactly that (a path, user info, a port that is not a number, a second name) matches nothing.
Standard library only: the settings validate the operator's lists with the same parser.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ccc_mcp.net.loopback import LOOPBACK_NAMES

__all__ = ["ANY_PORT", "Authority", "HostRule", "OriginRule", "parse_authority", "parse_origin"]

ANY_PORT = -1  # a rule's port that matches every port (written `name:*`, or a host rule without a port)

_NAME = re.compile(r"[a-z0-9._-]+|\[[0-9a-f:.]+\]")  # a DNS name or IPv4 address, or an IPv6 literal
_DEFAULT_PORTS = {"http": 80, "https": 443}


@dataclass(frozen=True, slots=True)
class Authority:
    """`host[:port]` taken apart: the name in lower case (an IPv6 literal keeps its brackets), the port or None."""

    name: str
    port: int | None


def parse_authority(value: str, *, wildcard: bool = False) -> Authority | None:
    """`name`, `name:port` or (with `wildcard`) `name:*`; None for anything else. Names are compared without
    regard to case, as DNS does."""
    if not value.isascii():
        return None
    text = value.lower()
    if text.startswith("["):
        end = text.find("]") + 1
        name, rest = (text[:end], text[end:]) if end else (text, "")
    else:
        name, colon, port_text = text.partition(":")
        rest = colon + port_text
    if not _NAME.fullmatch(name):
        return None
    if not rest:
        return Authority(name, None)
    port_text = rest[1:]
    if rest[0] != ":":
        return None
    if wildcard and port_text == "*":
        return Authority(name, ANY_PORT)
    if not (port_text.isascii() and port_text.isdigit() and len(port_text) <= 5 and int(port_text) <= 65535):
        return None
    return Authority(name, int(port_text))


def parse_origin(value: str, *, wildcard: bool = False) -> tuple[str, Authority] | None:
    """`scheme://host[:port]` (http or https, nothing after the port) as (scheme, authority with its port
    made explicit: a missing port is the scheme's default); None for anything else, `null` included."""
    scheme, separator, rest = value.partition("://")
    scheme = scheme.lower()
    if not separator or scheme not in _DEFAULT_PORTS:
        return None
    authority = parse_authority(rest, wildcard=wildcard)
    if authority is None:
        return None
    if authority.port is None:
        authority = Authority(authority.name, _DEFAULT_PORTS[scheme])
    return scheme, authority


class HostRule:
    """The Host values a server accepts: the loopback names on any port, plus the operator's names (any port
    unless one is given)."""

    def __init__(self, extra: frozenset[str] | set[str] = frozenset()) -> None:
        self._allowed: set[Authority] = {Authority(name, ANY_PORT) for name in LOOPBACK_NAMES}
        for entry in extra:
            parsed = parse_authority(entry, wildcard=True)
            if parsed is None:
                raise ValueError(f"not a host name with an optional port: {entry!r}")
            self._allowed.add(Authority(parsed.name, ANY_PORT if parsed.port is None else parsed.port))

    def allows(self, value: str) -> bool:
        parsed = parse_authority(value)
        if parsed is None:
            return False
        return Authority(parsed.name, ANY_PORT) in self._allowed or (
            parsed.port is not None and parsed in self._allowed
        )


class OriginRule:
    """The Origin values a server accepts: `http://` + a loopback name on any port, plus the operator's
    origins (exact, or any port when written `scheme://name:*`)."""

    def __init__(self, extra: frozenset[str] | set[str] = frozenset()) -> None:
        self._allowed: set[tuple[str, Authority]] = {("http", Authority(name, ANY_PORT)) for name in LOOPBACK_NAMES}
        for entry in extra:
            parsed = parse_origin(entry, wildcard=True)
            if parsed is None:
                raise ValueError(f"not an origin (scheme://host[:port], nothing after it): {entry!r}")
            self._allowed.add(parsed)

    def allows(self, value: str) -> bool:
        parsed = parse_origin(value)
        if parsed is None:
            return False
        scheme, authority = parsed
        return (scheme, Authority(authority.name, ANY_PORT)) in self._allowed or parsed in self._allowed
