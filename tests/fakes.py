"""A fake CCC endpoint for in-process tests: an httpx MockTransport that checks every request's
signature with the same canonicalisation the real gateway uses, records what it saw, and answers
with whatever each test scripts (the API page's sample by default)."""

from __future__ import annotations

import asyncio
import io
import json
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import httpx
import pytest
from mcp import Client

from ccc_mcp.api import signing
from ccc_mcp.api.credentials import StaticCredentials
from ccc_mcp.api.signing import SigningKey
from ccc_mcp.config.settings import load_settings
from ccc_mcp.mcpserver.assembly import build_server

CANARY_SECRET = "canary-SECRET-5f2d9c"  # must never appear in any result or log line
TEST_KEY = SigningKey("test-access-key-id", CANARY_SECRET)
FAKE_ENDPOINT = "http://127.0.0.1:9"

SAMPLE_RESPONSE: dict[str, Any] = json.loads((Path(__file__).parent / "data" / "unmutecall_sample.json").read_text())


class CountingStream(io.StringIO):
    """A text stream (stderr, say) that keeps each write apart, to count them and see what each held."""

    def __init__(self) -> None:
        super().__init__()
        self.chunks: list[str] = []

    def write(self, text: str) -> int:
        self.chunks.append(text)
        return super().write(text)


def ccc_error(status: int, code: str, message: str, params: list[str]) -> httpx.Response:
    """A CCC business error exactly as the API page describes the envelope."""
    body = {
        "Code": code,
        "HttpStatusCode": status,
        "Message": message,
        "RequestId": f"REQ-{code}",
        "Params": params,
    }
    return httpx.Response(status, json=body)


def gateway_error(status: int, code: str, headers: dict[str, str] | None = None) -> httpx.Response:
    body = {"RequestId": f"REQ-{code}", "HostId": "ccc.cn-shanghai.aliyuncs.com", "Code": code,
            "Message": f"{code} happened.", "Recommend": "https://api.aliyun.com/troubleshoot"}
    return httpx.Response(status, json=body, headers=headers)


@dataclass
class SeenRequest:
    method: str
    query: dict[str, str]
    headers: dict[str, str]
    signature_valid: bool
    form: dict[str, str] = field(default_factory=dict)

    @property
    def action(self) -> str:
        return self.headers.get("x-acs-action", "")


Responder = Callable[[httpx.Request], httpx.Response]


@dataclass
class FakeCcc:
    """Scripted answers, in order; when the script runs out, the API page's sample response."""

    script: list[httpx.Response | Exception | Responder] = field(default_factory=list)
    seen: list[SeenRequest] = field(default_factory=list)
    key: SigningKey = TEST_KEY  # the key a request must be signed with to count as `signature_valid`

    def answer(self, *responses: httpx.Response | Exception | Responder) -> None:
        self.script.extend(responses)

    def handle(self, request: httpx.Request) -> httpx.Response:
        self.seen.append(self._inspect(request))
        step = self.script.pop(0) if self.script else httpx.Response(200, json=SAMPLE_RESPONSE)
        if isinstance(step, Exception):
            raise step
        if callable(step):
            return step(request)
        return step

    def _inspect(self, request: httpx.Request) -> SeenRequest:
        query = dict(parse_qsl(urlsplit(str(request.url)).query, keep_blank_values=True))
        headers = {name.lower(): value for name, value in request.headers.items()}
        body = request.content
        parsed = signing.parse_authorization(headers.get("authorization", ""))
        valid = False
        if parsed is not None and parsed.access_key_id == self.key.access_key_id:
            signed = {name: headers.get(name, "") for name in parsed.signed_header_names}
            digest = signing.body_sha256(body)
            canonical = signing.canonical_request(request.method, "/", query, signed, digest)
            valid = headers.get("x-acs-content-sha256") == digest and signing.signatures_match(
                signing.signature(self.key.access_key_secret, canonical), parsed.signature
            )
        form = dict(parse_qsl(body.decode(), keep_blank_values=True)) if body else {}
        return SeenRequest(request.method, query, headers, valid, form)

    def transport(self) -> httpx.MockTransport:
        return httpx.MockTransport(self.handle)


@dataclass
class HeldUpstream:
    """A CCC answer held until the test releases it: `reached` once a request waits on it, `cancelled` when
    the wait was cancelled (the call was stopped) instead of released."""

    reached: asyncio.Event = field(default_factory=asyncio.Event)
    release: asyncio.Event = field(default_factory=asyncio.Event)
    cancelled: int = 0

    async def wait(self, call: asyncio.Task[httpx.Response]) -> None:
        """Until the call's request waits here; fails (rather than hangs) if the call ended without one."""
        reached = asyncio.ensure_future(self.reached.wait())
        await asyncio.wait([reached, call], return_when=asyncio.FIRST_COMPLETED)
        if not reached.done():
            reached.cancel()
            answer = call.result()
            raise AssertionError(f"the call never reached CCC: {answer.status_code} {answer.text[:300]}")

    async def __call__(self, request: httpx.Request) -> httpx.Response:
        self.reached.set()
        try:
            await self.release.wait()
        except asyncio.CancelledError:
            self.cancelled += 1
            raise
        return httpx.Response(200, json=SAMPLE_RESPONSE)


@pytest.fixture
def fake_ccc() -> FakeCcc:
    return FakeCcc()


@pytest.fixture
def make_client(fake_ccc: FakeCcc) -> Callable[..., Any]:
    """`async with make_client(mode, **settings) as client:` an in-memory MCP client of a real server
    whose upstream is the fake CCC; settings are the server's (e.g. instance_id, allowed_instances)."""

    @asynccontextmanager
    async def connect(mode: str = "auto", **overrides: Any) -> AsyncIterator[Client]:
        overrides.setdefault("endpoint", FAKE_ENDPOINT)
        overrides.setdefault("deadline", 5.0)
        settings = load_settings(**overrides)
        server = build_server(
            settings, credentials=StaticCredentials(TEST_KEY), transport=fake_ccc.transport()
        )
        async with Client(server, mode=mode) as client:
            yield client

    return connect


@pytest.fixture(params=["auto", "legacy"], ids=["modern", "legacy"])
def protocol_mode(request: pytest.FixtureRequest) -> str:
    """Both protocol eras: 2026-07-28 (stateless) and 2025-11-25 (initialize handshake)."""
    return str(request.param)
