"""The static bearer check (transports/http_auth.py), driven as uvicorn drives it: the credential is what follows
`Bearer ` byte for byte, and only one or more visible ASCII characters equal to the token pass. Characters no
HTTP client lets through are handed to it directly here; tests/security/test_static_token.py sends the rest
over the wire."""

from __future__ import annotations

import pytest
from starlette.types import Message, Receive, Scope, Send

from ccc_mcp.transports.http_auth import StaticBearerAuth, bearer_credential

TOKEN = "s3cret-Token_v4"


class Reached:
    def __init__(self) -> None:
        self.count = 0

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        self.count += 1


async def status_for(authorization: bytes | None, token: str = TOKEN) -> tuple[int | None, int]:
    """(the status the check answered, or None when it passed the request on; how often the app was reached)."""
    app = Reached()
    sent: list[Message] = []
    headers = [] if authorization is None else [(b"authorization", authorization)]
    scope = {"type": "http", "method": "POST", "path": "/mcp", "headers": headers, "client": ("127.0.0.1", 1)}

    async def receive() -> Message:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: Message) -> None:
        sent.append(message)

    await StaticBearerAuth(app, token)(scope, receive, send)
    return (sent[0]["status"] if sent else None), app.count


@pytest.mark.parametrize(
    "suffix", [b"\x00", b"\t", b"\x0b", b"\x0c", b"\x1c", b"\x1f", b"\x7f", b"\x85", b"\xa0", b" ", b"\r"], ids=repr
)
async def test_a_control_or_white_space_character_anywhere_makes_a_wrong_token(suffix: bytes) -> None:
    for credential in (TOKEN.encode() + suffix, suffix + TOKEN.encode(), suffix):
        assert await status_for(b"Bearer " + credential) == (401, 0), credential


async def test_the_token_itself_passes_and_the_scheme_is_case_insensitive() -> None:
    assert await status_for(b"Bearer " + TOKEN.encode()) == (None, 1)
    assert await status_for(b"bEARER " + TOKEN.encode()) == (None, 1)


@pytest.mark.parametrize("authorization", [None, b"Basic abc", b"Bearer", b"Bearer\t" + TOKEN.encode()])
async def test_without_a_bearer_credential_the_answer_is_401(authorization: bytes | None) -> None:
    assert await status_for(authorization) == (401, 0)


def test_the_credential_is_taken_as_sent() -> None:
    assert bearer_credential([(b"authorization", b"Bearer \xa0")]) == b"\xa0"
    assert bearer_credential([(b"authorization", b"Bearer  two spaces")]) == b" two spaces"
    assert bearer_credential([(b"authorization", b"Basic x")]) is None
    assert bearer_credential([(b"x-other", b"Bearer x")]) is None


@pytest.mark.parametrize("token", ["", " ", "with space", "caf\xe9"])
def test_a_token_that_could_not_be_sent_is_refused_when_the_check_is_built(token: str) -> None:
    with pytest.raises(ValueError, match="visible ASCII"):
        StaticBearerAuth(Reached(), token)
