"""ACS3-HMAC-SHA256 (Alibaba Cloud signature V3) as pure functions.

The client signs with these and the simulator verifies with the very same functions, so the two can
never disagree about canonicalisation. Nothing here does I/O or reads a clock: the date and nonce are
arguments, which is what makes the golden vectors in the reference reproducible byte for byte.
"""

from __future__ import annotations

import functools
import hashlib
import hmac
import re
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from urllib.parse import quote, urlencode

__all__ = [
    "EMPTY_BODY_SHA256",
    "SigningKey",
    "canonical_query",
    "canonical_request",
    "format_date",
    "new_nonce",
    "parse_authorization",
    "parse_date",
    "signature",
    "signatures_match",
    "signed_request_headers",
]

ALGORITHM = "ACS3-HMAC-SHA256"
EMPTY_BODY_SHA256 = hashlib.sha256(b"").hexdigest()
FORM_CONTENT_TYPE = "application/x-www-form-urlencoded"
DATE_FORMAT = "%Y-%m-%dT%H:%M:%SZ"


@functools.lru_cache(maxsize=1024)
def percent_encode(value: str) -> str:
    """RFC 3986 encoding of UTF-8: only A-Z a-z 0-9 - _ . ~ stay as they are (space -> %20). Remembered: a
    server sends the same parameter names, instance and agents request after request, and `quote` walks
    each string in Python (most of what signing a request's query cost)."""
    return quote(value, safe="~")


def canonical_query(params: Mapping[str, str]) -> str:
    """`k=v` pairs sorted by key, both sides percent-encoded; also the exact query string we send."""
    return "&".join(
        f"{percent_encode(key)}={percent_encode(params[key])}" for key in sorted(params)
    )


def form_body(fields: Mapping[str, str]) -> bytes:
    """A form-encoded body exactly as the official SDK builds it: `urlencode` over the sorted keys, so a
    space is `+` and `[ ] " , @` are percent-encoded. Its SHA-256 is what gets signed (reference §6)."""
    return urlencode(sorted(fields.items())).encode()


def body_sha256(body: bytes) -> str:
    """`x-acs-content-sha256`: the hex SHA-256 of the exact bytes sent."""
    return hashlib.sha256(body).hexdigest() if body else EMPTY_BODY_SHA256


def canonical_headers(headers: Mapping[str, str]) -> tuple[str, str]:
    """Return (the canonical header block, the `;`-joined signed header names), names lower-cased."""
    lowered = {name.lower(): value.strip() for name, value in headers.items()}
    names = sorted(lowered)
    block = "".join(f"{name}:{lowered[name]}\n" for name in names)
    return block, ";".join(names)


def canonical_request(
    method: str,
    path: str,
    query: Mapping[str, str],
    signed_headers: Mapping[str, str],
    body_sha256: str = EMPTY_BODY_SHA256,
) -> str:
    """The exact text whose hash is signed (note the blank line after the header block)."""
    return _canonical_and_names(method, path, canonical_query(query), signed_headers, body_sha256)[0]


def _canonical_and_names(
    method: str, path: str, query: str, signed_headers: Mapping[str, str], body_sha256: str
) -> tuple[str, str]:
    """The canonical request and the signed header names, from one pass over the headers."""
    block, names = canonical_headers(signed_headers)
    return "\n".join([method.upper(), path or "/", query, block, names, body_sha256]), names


def string_to_sign(canonical: str) -> str:
    return f"{ALGORITHM}\n{hashlib.sha256(canonical.encode()).hexdigest()}"


def signature(secret: str, canonical: str) -> str:
    """hex(HMAC-SHA256(secret, StringToSign)) for one canonical request."""
    return hmac.new(secret.encode(), string_to_sign(canonical).encode(), hashlib.sha256).hexdigest()


def authorization_header(access_key_id: str, signed_header_names: str, sig: str) -> str:
    return f"{ALGORITHM} Credential={access_key_id},SignedHeaders={signed_header_names},Signature={sig}"


def format_date(moment: datetime) -> str:
    """`x-acs-date` form: UTC, second precision, trailing Z."""
    return moment.astimezone(UTC).strftime(DATE_FORMAT)


def parse_date(value: str) -> datetime | None:
    try:
        return datetime.strptime(value, DATE_FORMAT).replace(tzinfo=UTC)
    except ValueError:
        return None


def new_nonce() -> str:
    """32 hex characters, as the official SDK sends; never reused (the gateway rejects a replay)."""
    return secrets.token_hex(16)


@dataclass(frozen=True, slots=True)
class SigningKey:
    """What signing needs of a credential. `repr` never shows the secret or the token."""

    access_key_id: str
    access_key_secret: str
    security_token: str | None = None

    def __repr__(self) -> str:
        token = ", security_token=<set>" if self.security_token else ""
        return f"SigningKey(access_key_id={self.access_key_id!r}, access_key_secret=<hidden>{token})"


def signed_request_headers(
    *,
    key: SigningKey,
    host: str,
    action: str,
    version: str,
    query: Mapping[str, str] | str,
    date: str,
    nonce: str,
    extra_signed: Mapping[str, str] | None = None,
    method: str = "POST",
    body_sha256: str = EMPTY_BODY_SHA256,
) -> dict[str, str]:
    """All headers of one RPC-style request, `Authorization` included.

    Every `x-acs-*` header and `host` are signed; with STS credentials the token and the AccessKeyId
    travel as signed headers too, as the official SDK does. `extra_signed` lets a caller sign more
    (the SDK also signs `accept` and `user-agent`; the golden vectors A-C need that). `query` is the
    parameters, or their `canonical_query` text when the caller has made it already (the client sends that
    text as the URL's query, so it is encoded once per request).
    """
    headers: dict[str, str] = {
        "host": host,
        "x-acs-action": action,
        "x-acs-version": version,
        "x-acs-date": date,
        "x-acs-signature-nonce": nonce,
        "x-acs-content-sha256": body_sha256,
    }
    if key.security_token:
        headers["x-acs-security-token"] = key.security_token
        headers["x-acs-accesskey-id"] = key.access_key_id
    if extra_signed:
        headers.update({name.lower(): value for name, value in extra_signed.items()})
    query_text = query if isinstance(query, str) else canonical_query(query)
    canonical, names = _canonical_and_names(method, "/", query_text, headers, body_sha256)
    headers["authorization"] = authorization_header(
        key.access_key_id, names, signature(key.access_key_secret, canonical)
    )
    return headers


_AUTHORIZATION = re.compile(
    r"^ACS3-HMAC-SHA256\s+Credential=(?P<ak>[^,\s]+)\s*,\s*SignedHeaders=(?P<names>[^,\s]+)"
    r"\s*,\s*Signature=(?P<sig>[0-9a-fA-F]+)\s*$"
)


@dataclass(frozen=True, slots=True)
class ParsedAuthorization:
    access_key_id: str
    signed_header_names: tuple[str, ...]
    signature: str


def parse_authorization(value: str) -> ParsedAuthorization | None:
    """Split an `Authorization` header; None when it is not a well-formed ACS3-HMAC-SHA256 one."""
    match = _AUTHORIZATION.match(value.strip())
    if match is None:
        return None
    names = tuple(match["names"].split(";"))
    return ParsedAuthorization(match["ak"], names, match["sig"].lower())


def signatures_match(expected: str, presented: str) -> bool:
    """Constant-time comparison, so a verifier leaks nothing through timing."""
    return hmac.compare_digest(expected.encode(), presented.lower().encode())
