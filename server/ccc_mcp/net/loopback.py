"""Address helpers shared by the server and the simulator (standard library only: cheap to import)."""

from __future__ import annotations

import ipaddress

__all__ = ["LOOPBACK_NAMES", "is_loopback_host"]

LOOPBACK_NAMES = ("127.0.0.1", "localhost", "[::1]")
"""The names a loopback Host header or Origin may use (the HTTP transport always accepts them)."""


def is_loopback_host(host: str) -> bool:
    """True for localhost and any loopback address (127.0.0.0/8, ::1)."""
    name = host.strip("[]").lower()
    if name == "localhost":
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False
