"""OAuth mode against forged and bent JWTs: each attack that held when issue 23 was filed, replayed so it keeps
holding, and the ones that did not (a scope list split on any white space; `exp` and `nbf` given different
leeway). Every refusal is a 401 before the body is read; nothing reaches CCC."""

from __future__ import annotations

import base64
import json
import time
from collections.abc import Callable
from typing import Any

import httpx
import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from ccc_mcp.transports.http_auth import JWT_LEEWAY
from tests.fakes import FakeCcc
from tests.transports.conftest import ERAS, headers, structured, tool_call
from tests.transports.test_oauth import ISSUER, AuthorizationServer

RESOURCE = "https://mcp.example.test/mcp"
CLAIM = "ccc_agent"
ME = "agent@ccc-test"
OTHER = "wang@ccc-test"


@pytest.fixture
def oauth(http_server: Callable[..., Any], authorization_server: AuthorizationServer) -> Callable[..., Any]:
    """`async with oauth(**settings)`: OAuth mode with the agent claim, every scope name at its default."""

    def start(**extra: Any) -> Any:
        return http_server(jwks_url=authorization_server.url, jwt_issuer=ISSUER, resource_url=RESOURCE,
                           agent_claim=CLAIM, instance_id="ccc-test", **extra)  # fmt: skip

    return start


def _claims(**changes: Any) -> dict[str, Any]:
    now = int(time.time())
    claims = {"iss": ISSUER, "sub": "u-1", "aud": RESOURCE, "iat": now, "exp": now + 300,
              "scope": "ccc:read ccc:calls", CLAIM: ME}  # fmt: skip
    claims.update(changes)
    return {name: value for name, value in claims.items() if value is not None}


def _unsigned(claims: dict[str, Any], header: dict[str, Any]) -> str:
    def part(value: dict[str, Any]) -> str:
        return base64.urlsafe_b64encode(json.dumps(value).encode()).rstrip(b"=").decode()

    return f"{part(header)}.{part(claims)}."


def _forgeries(server: AuthorizationServer) -> dict[str, str]:
    """Tokens an attacker can make, or bend, without the authorization server's private key."""
    public_pem = server.key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    own_ec = ec.generate_private_key(ec.SECP256R1())
    now = int(time.time())
    signed = server.token(audience=RESOURCE, extra={CLAIM: ME})
    head, body, signature = signed.split(".")
    widened = base64.urlsafe_b64encode(json.dumps(_claims(scope="ccc:supervise")).encode()).rstrip(b"=").decode()
    return {
        "alg none": _unsigned(_claims(), {"alg": "none", "typ": "JWT", "kid": "k1"}),
        "alg none, no signature part": _unsigned(_claims(), {"alg": "none"})[:-1],
        "HS256 keyed with the RSA public key": _hs256(_claims(), public_pem),
        "own RSA key, the server's kid": server.token(audience=RESOURCE, key=server.other_key, extra={CLAIM: ME}),
        "own EC key, the server's kid": jwt.encode(_claims(), own_ec, algorithm="ES256", headers={"kid": "k1"}),
        "unknown kid": jwt.encode(_claims(), server.other_key, algorithm="RS256", headers={"kid": "attacker"}),
        "jku to the attacker's keys": jwt.encode(
            _claims(), server.other_key, algorithm="RS256",
            headers={"kid": "attacker", "jku": "http://127.0.0.1:9/jwks.json"},
        ),
        "x5u to the attacker's certificate": jwt.encode(
            _claims(), server.other_key, algorithm="RS256", headers={"kid": "k1", "x5u": "http://127.0.0.1:9/cert"}
        ),
        "claims changed, signature kept": f"{head}.{widened}.{signature}",
        "signature stripped": f"{head}.{body}.",
        "expired beyond the leeway": jwt.encode(
            _claims(exp=now - JWT_LEEWAY - 60), server.key, algorithm="RS256", headers={"kid": "k1"}
        ),
        "not yet valid beyond the leeway": jwt.encode(
            _claims(nbf=now + JWT_LEEWAY + 60), server.key, algorithm="RS256", headers={"kid": "k1"}
        ),
        "no exp": jwt.encode(_claims(exp=None), server.key, algorithm="RS256", headers={"kid": "k1"}),
        "wrong issuer": jwt.encode(_claims(iss="https://evil.example"), server.key, algorithm="RS256",
                                   headers={"kid": "k1"}),
        "issuer look-alike": jwt.encode(_claims(iss=f"{ISSUER}.evil.example"), server.key, algorithm="RS256",
                                        headers={"kid": "k1"}),
        "issuer with a trailing slash": jwt.encode(_claims(iss=f"{ISSUER}/"), server.key, algorithm="RS256",
                                                   headers={"kid": "k1"}),
        "wrong audience": jwt.encode(_claims(aud="https://other.example/mcp"), server.key, algorithm="RS256",
                                     headers={"kid": "k1"}),
        "audience look-alike": jwt.encode(_claims(aud=f"{RESOURCE}.evil.example"), server.key, algorithm="RS256",
                                          headers={"kid": "k1"}),
        "no audience": jwt.encode(_claims(aud=None), server.key, algorithm="RS256", headers={"kid": "k1"}),
        "agent claim in other case": jwt.encode(_claims(**{CLAIM: None, CLAIM.upper(): ME}), server.key,
                                                algorithm="RS256", headers={"kid": "k1"}),
        "agent claim with a trailing space in its name": jwt.encode(
            _claims(**{CLAIM: None, f"{CLAIM} ": ME}), server.key, algorithm="RS256", headers={"kid": "k1"}
        ),
        "agent claim nested": jwt.encode(_claims(**{CLAIM: None, "ccc": {"agent": ME}}), server.key,
                                         algorithm="RS256", headers={"kid": "k1"}),
        "agent claim a list": jwt.encode(_claims(**{CLAIM: [ME, OTHER]}), server.key, algorithm="RS256",
                                         headers={"kid": "k1"}),
        "agent claim with a control character": jwt.encode(_claims(**{CLAIM: f"{OTHER}\x00"}), server.key,
                                                           algorithm="RS256", headers={"kid": "k1"}),
        "not a JWT": "not-a-jwt",
    }  # fmt: skip


def _hs256(claims: dict[str, Any], key: bytes) -> str:
    """HS256 keyed with the RSA public key (the classic key confusion), made by hand: PyJWT itself refuses to use
    a PEM key as an HMAC secret."""
    import hashlib
    import hmac

    def part(value: bytes) -> str:
        return base64.urlsafe_b64encode(value).rstrip(b"=").decode()

    header = {"alg": "HS256", "typ": "JWT", "kid": "k1"}
    signing_input = f"{part(json.dumps(header).encode())}.{part(json.dumps(claims).encode())}"
    return f"{signing_input}.{part(hmac.new(key, signing_input.encode(), hashlib.sha256).digest())}"


FORGERIES = [
    "alg none", "alg none, no signature part", "HS256 keyed with the RSA public key", "own RSA key, the server's kid",
    "own EC key, the server's kid", "unknown kid", "jku to the attacker's keys", "x5u to the attacker's certificate",
    "claims changed, signature kept", "signature stripped", "expired beyond the leeway",
    "not yet valid beyond the leeway", "no exp", "wrong issuer", "issuer look-alike", "issuer with a trailing slash",
    "wrong audience", "audience look-alike", "no audience", "agent claim in other case",
    "agent claim with a trailing space in its name", "agent claim nested", "agent claim a list",
    "agent claim with a control character", "not a JWT",
]


def test_every_forgery_is_replayed(authorization_server: AuthorizationServer) -> None:
    assert sorted(_forgeries(authorization_server)) == sorted(FORGERIES)


@pytest.mark.parametrize("forgery", FORGERIES)
async def test_a_forged_or_bent_token_is_refused_before_anything_is_read(
    oauth: Callable[..., Any], authorization_server: AuthorizationServer, fake_ccc: FakeCcc, forgery: str
) -> None:
    bearer = _forgeries(authorization_server)[forgery]
    async with oauth() as running, httpx.AsyncClient() as http:
        response = await http.post(running.mcp_url, json=tool_call(1, arguments={"user_id": ME}),
                                   headers={**headers(ERAS[0]), "authorization": f"Bearer {bearer}"})
    assert response.status_code == 401, response.text
    assert "invalid_token" in response.headers["www-authenticate"]
    assert fake_ccc.seen == []


async def test_the_genuine_token_passes(
    oauth: Callable[..., Any], authorization_server: AuthorizationServer, fake_ccc: FakeCcc
) -> None:
    """The control for the forgeries above: the same request with the authorization server's own token."""
    bearer = authorization_server.token(audience=RESOURCE, scope="ccc:read ccc:calls", extra={CLAIM: ME})
    async with oauth() as running, httpx.AsyncClient() as http:
        response = await http.post(running.mcp_url, json=tool_call(1, arguments={"user_id": ME}),
                                   headers={**headers(ERAS[0]), "authorization": f"Bearer {bearer}"})
    assert structured(response)["ok"] is True


@pytest.mark.parametrize(
    "scope",
    [
        "ccc:calls\tccc:supervise",  # a tab
        "ccc:calls\u3000ccc:supervise",  # an ideographic space
        "ccc:calls\u00a0ccc:supervise",  # a no-break space
        "ccc:calls\nccc:supervise",
        "ccc:calls,ccc:supervise",
        "ccc:calls ccc:supervise-all",
        "ccc:calls CCC:SUPERVISE",
        "ccc:calls ccc:supervise\x00",
    ],
    ids=repr,
)
@pytest.mark.parametrize("era", ERAS)
async def test_no_scope_trick_makes_a_supervisor(
    oauth: Callable[..., Any], authorization_server: AuthorizationServer, fake_ccc: FakeCcc, scope: str, era: str
) -> None:
    """Scopes are separated by U+0020 alone (RFC 6749 §3.3): any other white space is part of a scope's name,
    which then names no scope of ours. Acting on another agent's line stays refused, in both eras."""
    bearer = authorization_server.token(audience=RESOURCE, scope=scope, extra={CLAIM: ME})
    async with oauth() as running, httpx.AsyncClient() as http:
        response = await http.post(running.mcp_url, json=tool_call(1, era, arguments={"user_id": OTHER}),
                                   headers={**headers(era), "authorization": f"Bearer {bearer}"})
    result = structured(response)
    assert result["ok"] is False
    assert result["error"]["code"] in ("Forbidden.Scope", "Forbidden.Agent")
    assert fake_ccc.seen == []


@pytest.mark.parametrize("era", ERAS)
async def test_a_scope_list_claim_grants_exactly_its_entries(
    oauth: Callable[..., Any], authorization_server: AuthorizationServer, fake_ccc: FakeCcc, era: str
) -> None:
    """`scp` as some servers send it: a list. An entry holding two names is one (unknown) scope."""
    tricked = authorization_server.token(audience=RESOURCE, extra={CLAIM: ME, "scope": None,
                                         "scp": ["ccc:calls", "ccc:read ccc:supervise"]})  # fmt: skip
    genuine = authorization_server.token(audience=RESOURCE, extra={CLAIM: ME, "scope": None,
                                         "scp": ["ccc:calls", "ccc:supervise"]})  # fmt: skip
    async with oauth() as running, httpx.AsyncClient() as http:
        answers = [
            structured(await http.post(running.mcp_url, json=tool_call(n, era, arguments={"user_id": OTHER}),
                                       headers={**headers(era), "authorization": f"Bearer {bearer}"}))
            for n, bearer in enumerate((tricked, genuine))
        ]  # fmt: skip
    assert answers[0]["error"]["code"] == "Forbidden.Agent"
    assert answers[1]["ok"] is True
    assert len(fake_ccc.seen) == 1
