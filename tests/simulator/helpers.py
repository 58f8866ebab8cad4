"""Helpers shared by the simulator's tests: signing requests the way our own client does."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Protocol
from urllib.parse import urlencode

import httpx

from ccc_mcp.api.signing import SigningKey, canonical_query, format_date, new_nonce, signed_request_headers

API_VERSION = "2020-07-01"
FORM = "application/x-www-form-urlencoded"


class Target(Protocol):
    """What a request needs of a simulator: where it is and its demo credential."""

    @property
    def endpoint(self) -> str: ...
    @property
    def access_key_id(self) -> str: ...
    @property
    def access_key_secret(self) -> str: ...


@dataclass(frozen=True)
class Remote:
    """A simulator running elsewhere (another process), known by its banner."""

    endpoint: str
    access_key_id: str = "sim-access-key-id"
    access_key_secret: str = "sim-access-key-secret"


def host_of(sim: Target) -> str:
    return sim.endpoint.removeprefix("http://")


def signed(
    sim: Target,
    action: str,
    query: Mapping[str, str],
    *,
    key: SigningKey | None = None,
    date: str | None = None,
    nonce: str | None = None,
    version: str = API_VERSION,
    extra_signed: Mapping[str, str] | None = None,
) -> tuple[str, dict[str, str]]:
    """(URL, headers) of a correctly signed RPC request — the way our own client will send it."""
    headers = signed_request_headers(
        key=key or SigningKey(sim.access_key_id, sim.access_key_secret),
        host=host_of(sim),
        action=action,
        version=version,
        query=query,
        date=date or format_date(datetime.now(UTC)),
        nonce=nonce or new_nonce(),
        extra_signed=extra_signed,
    )
    return f"{sim.endpoint}/?{canonical_query(query)}", headers


async def call(
    http: httpx.AsyncClient, sim: Target, action: str = "UnmuteCall", query: Mapping[str, str] | None = None,
    **kwargs: Any,
) -> httpx.Response:
    if query is None:
        query = {"InstanceId": "ccc-demo", "UserId": "agent@ccc-demo"}
    url, headers = signed(sim, action, query, **kwargs)
    return await http.post(url, headers=headers)


def form_body(fields: Mapping[str, str]) -> bytes:
    """The body the official SDK sends: `urlencode` over the keys, sorted (`+` for a space)."""
    return urlencode(sorted(fields.items())).encode()


def signed_form(
    sim: Target, action: str, query: Mapping[str, str], body: bytes, *, content_type: str = FORM
) -> tuple[str, dict[str, str]]:
    """(URL, headers) of a request with a form body, signed as the SDK signs it: the body's hash in
    `x-acs-content-sha256` and `content-type` among the signed headers."""
    headers = signed_request_headers(
        key=SigningKey(sim.access_key_id, sim.access_key_secret),
        host=host_of(sim),
        action=action,
        version=API_VERSION,
        query=query,
        date=format_date(datetime.now(UTC)),
        nonce=new_nonce(),
        extra_signed={"content-type": content_type},
        body_sha256=hashlib.sha256(body).hexdigest(),
    )
    return f"{sim.endpoint}/?{canonical_query(query)}", headers


async def call_form(
    http: httpx.AsyncClient, sim: Target, action: str, query: Mapping[str, str], fields: Mapping[str, str]
) -> httpx.Response:
    body = form_body(fields)
    url, headers = signed_form(sim, action, query, body)
    return await http.post(url, headers=headers, content=body)


def without_request_id(body: dict[str, Any]) -> dict[str, Any]:
    """A response body minus its (always fresh) RequestId, for byte-for-byte comparisons."""
    return {k: v for k, v in body.items() if k != "RequestId"}
