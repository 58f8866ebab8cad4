"""Which HTTP proxy, if any, carries the requests to CCC: read once from the standard environment variables.

httpx reads `HTTPS_PROXY`/`HTTP_PROXY`/`ALL_PROXY`/`NO_PROXY` only when it builds its own transport; the
client hands it aiohttp's engine, so without this module a server behind a corporate proxy could not reach
CCC at all (docs/architecture.md §4). The choice is made once, when the client is built, for the one
endpoint the process talks to, never per request.

Rules, as curl and Go's net/http apply them:
- the scheme of the endpoint picks the variable (`HTTPS_PROXY` for https, `HTTP_PROXY` for http), then
  `ALL_PROXY`; lower-case spellings are read too, and win when both are set (as in the standard library);
- `NO_PROXY` exempts the endpoint, with curl's rules: a comma-separated list of `*`, host names or
  addresses (optionally `:port`), and domains (`example.com` or `.example.com` both match the domain and
  every name under it). The standard library's matcher is private (`urllib.request`), hence ours;
- a loopback endpoint (the simulator, a local tunnel) is always reached directly.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from urllib.parse import urlsplit, urlunsplit

from ccc_mcp.net.loopback import is_loopback_host

__all__ = ["ProxyChoice", "proxy_for", "redact"]

_PROXY_VARIABLES = ("https_proxy", "http_proxy", "all_proxy", "no_proxy")


@dataclass(frozen=True, slots=True)
class ProxyChoice:
    """The proxy for the endpoint: `url` may carry credentials; `shown` never does."""

    url: str = field(repr=False)  # may hold a password: kept out of repr, logs and errors
    variable: str

    @property
    def shown(self) -> str:
        return redact(self.url)


def redact(url: str) -> str:
    """The URL without its user name and password, for logs and errors."""
    parts = urlsplit(url)
    if parts.username is None and parts.password is None:
        return url
    host = parts.hostname or ""
    if ":" in host:
        host = f"[{host}]"
    netloc = f"{host}:{parts.port}" if parts.port is not None else host
    return urlunsplit((parts.scheme, netloc, parts.path, parts.query, parts.fragment))


def _lookup(environ: Mapping[str, str], name: str) -> tuple[str, str] | None:
    """(variable, value) of `name` in either spelling, lower case first; empty values count as unset."""
    for variable in (name, name.upper()):
        value = environ.get(variable, "").strip()
        if value:
            return variable, value
    return None


def proxy_for(endpoint: str, environ: Mapping[str, str]) -> ProxyChoice | None:
    """The proxy for requests to `endpoint`, or None to connect directly."""
    if not any(name in environ or name.upper() in environ for name in _PROXY_VARIABLES):
        return None  # the common case: nothing to read, nothing imported
    parts = urlsplit(endpoint)
    host = parts.hostname or ""
    if is_loopback_host(host):
        return None
    scheme_variable = "https_proxy" if parts.scheme == "https" else "http_proxy"
    found = _lookup(environ, scheme_variable) or _lookup(environ, "all_proxy")
    if found is None:
        return None
    no_proxy = _lookup(environ, "no_proxy")
    if no_proxy is not None and _bypassed(host, parts.port, no_proxy[1]):
        return None
    variable, url = found
    return ProxyChoice(url if "://" in url else f"http://{url}", variable.upper())


def _bypassed(host: str, port: int | None, no_proxy: str) -> bool:
    """Whether a NO_PROXY list exempts host[:port] (curl's rules, see the module docstring)."""
    host = host.lower().rstrip(".")
    for entry in (item.strip().lower() for item in no_proxy.split(",")):
        if entry == "*":
            return True
        name, _, entry_port = entry.rpartition(":") if entry.count(":") == 1 else (entry, "", "")
        if entry_port and (not entry_port.isdigit() or int(entry_port) != port):
            continue
        name = name.strip("[]").lstrip(".").rstrip(".")
        if name and (host == name or host.endswith(f".{name}")):
            return True
    return False
