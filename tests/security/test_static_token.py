"""The static bearer token (`CCC_MCP_AUTH_TOKEN`) against an outside attacker: an empty setting is no token at
all (never a token that an empty credential matches), the credential is compared exactly as sent (nothing
stripped, so `Bearer <U+00A0>` is not `Bearer `), and the binding check, the application and the start-up line
agree on whether there is authentication."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest

from ccc_mcp.commands.serve import ServeError, check_http_binding
from ccc_mcp.config.settings import load_settings
from tests.fakes import FakeCcc
from tests.transports.conftest import HANDSHAKE_ERA, headers, structured, tool_call

TOKEN = "s3cret-Token_v4"


@pytest.mark.parametrize("empty", ["", " ", "\t\n"])
async def test_an_empty_token_setting_is_no_authentication_and_no_credential_passes_for_it(
    http_server: Callable[..., Any], fake_ccc: FakeCcc, monkeypatch: pytest.MonkeyPatch, tmp_path: Path, empty: str
) -> None:
    """The reproduction of issue 23's first hole: `CCC_MCP_AUTH_TOKEN=` once made `Bearer <U+00A0>` (stripped
    to nothing) match an empty token, named the caller `static-token@…` in the audit, and let the binding check
    allow a public address. Unset, there is no token to match: the caller is anonymous, and only loopback may
    be served."""
    monkeypatch.setenv("CCC_MCP_AUTH_TOKEN", empty)
    audit = tmp_path / "audit.jsonl"
    async with http_server(audit_log=str(audit)) as running, httpx.AsyncClient() as http:
        for credential in (b"\xa0", b"\x85"):
            sent = {**headers(HANDSHAKE_ERA), "authorization": b"Bearer " + credential}
            response = await http.post(running.mcp_url, json=tool_call(1), headers=sent)  # type: ignore[arg-type]
            assert structured(response)["ok"] is True  # loopback without authentication: anyone may
    callers = [json.loads(line)["caller"] for line in audit.read_text().splitlines()]
    assert callers == ["anonymous@127.0.0.1"] * 2, "no credential was taken for a token"
    with pytest.raises(ServeError, match="without authentication"):
        check_http_binding(load_settings(), "0.0.0.0")


def test_the_cli_refuses_a_public_address_with_an_empty_token(tmp_path: Path) -> None:
    environment = {name: value for name, value in os.environ.items() if not name.startswith(("CCC_", "ALIBABA_"))}
    environment.update({"CCC_MCP_AUTH_TOKEN": "", "ALIBABA_CLOUD_ECS_METADATA_DISABLED": "true"})
    out = subprocess.run(
        [sys.executable, "-m", "ccc_mcp", "serve", "--transport", "http", "--host", "0.0.0.0", "--port", "1"],
        capture_output=True, text=True, timeout=60, env=environment, cwd=tmp_path,
    )
    assert out.returncode == 2
    assert "Refusing to serve HTTP on non-loopback address 0.0.0.0 without authentication" in out.stderr


@pytest.mark.parametrize(
    "credential",
    [
        b"\xa0" + TOKEN.encode(), TOKEN.encode() + b"\xa0", TOKEN.encode() + b"\x85", b"\x85" + TOKEN.encode(),
        b" " + TOKEN.encode(), TOKEN.encode()[:-1], TOKEN.encode() + b"x", TOKEN.lower().encode(), b"\xa0", b"\x85",
    ],
    ids=repr,
)
@pytest.mark.parametrize("era", [HANDSHAKE_ERA, "2026-07-28"])
async def test_only_the_token_itself_passes(
    http_server: Callable[..., Any], fake_ccc: FakeCcc, credential: bytes, era: str
) -> None:
    """White space a `str.strip` would remove (U+00A0, U+0085), a second space, a near miss: each is a wrong
    token, in both eras. (Control characters never pass the HTTP parser: tests/transports/test_http_auth.py
    hands them to the check itself.)"""
    async with http_server(auth_token=TOKEN) as running, httpx.AsyncClient() as http:
        wrong = await http.post(running.mcp_url, json=tool_call(1, era),
                                headers={**headers(era), "authorization": b"Bearer " + credential})  # type: ignore[dict-item]
        right = await http.post(running.mcp_url, json=tool_call(2, era),
                                headers={**headers(era), "authorization": f"Bearer {TOKEN}"})
    assert wrong.status_code == 401
    assert 'error="invalid_token"' in wrong.headers["www-authenticate"]
    assert structured(right)["ok"] is True
    assert len(fake_ccc.seen) == 1, "only the right token's call reached CCC"


@pytest.mark.parametrize("authorization", ["Basic czNjcmV0", "Bearer", "Token s3cret-Token_v4", ""])
async def test_no_bearer_credential_is_a_missing_token(http_server: Callable[..., Any], authorization: str) -> None:
    async with http_server(auth_token=TOKEN) as running, httpx.AsyncClient() as http:
        response = await http.post(running.mcp_url, json=tool_call(1),
                                   headers={**headers(HANDSHAKE_ERA), "authorization": authorization})
    assert response.status_code == 401


@pytest.mark.parametrize("token", ["with space", "tab\there", "caf\xe9", "line\nbreak"])
def test_a_token_no_client_could_send_stops_start_up_without_showing_it(token: str) -> None:
    with pytest.raises(ValueError, match="visible ASCII") as caught:
        load_settings(auth_token=token)
    assert token not in str(caught.value)


def test_the_token_is_never_in_the_settings_repr() -> None:
    settings = load_settings(auth_token=TOKEN)
    assert TOKEN not in repr(settings)
    assert settings.authentication == "token"
