"""Credentials: static environment keys on the fast path, the official chain otherwise, and a clear
Credentials.Missing when nothing is configured. Nothing here reaches the metadata service."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from ccc_mcp.api.credentials import (
    CredentialsMissingError,
    DefaultChainCredentials,
    StaticCredentials,
    key_from_environment,
    resolve_credentials,
)


def test_environment_keys_take_the_fast_path() -> None:
    provider = resolve_credentials({"ALIBABA_CLOUD_ACCESS_KEY_ID": "id", "ALIBABA_CLOUD_ACCESS_KEY_SECRET": "s"})
    assert isinstance(provider, StaticCredentials)
    assert provider.source == "environment"


async def test_sts_token_is_carried() -> None:
    key = key_from_environment(
        {
            "ALIBABA_CLOUD_ACCESS_KEY_ID": "id",
            "ALIBABA_CLOUD_ACCESS_KEY_SECRET": "s",
            "ALIBABA_CLOUD_SECURITY_TOKEN": "tok",
        }
    )
    assert key is not None
    assert key.security_token == "tok"


@pytest.mark.parametrize(
    "env",
    [
        {},
        {"ALIBABA_CLOUD_ACCESS_KEY_ID": "id"},
        {"ALIBABA_CLOUD_ACCESS_KEY_ID": " ", "ALIBABA_CLOUD_ACCESS_KEY_SECRET": "s"},
    ],
)
def test_incomplete_environment_falls_back_to_the_chain(env: dict[str, str]) -> None:
    assert isinstance(resolve_credentials(env), DefaultChainCredentials)


@pytest.mark.parametrize(
    "env",
    [
        {"ALIBABA_CLOUD_ACCESS_KEY_ID": "id", "ALIBABA_CLOUD_ACCESS_KEY_SECRET": "s"},
        {},
    ],
    ids=["static-keys", "nothing-set"],
)
def test_resolving_does_not_import_the_official_library(env: dict[str, str]) -> None:
    """It costs ~250 ms and reads the environment at import: only the first chain lookup may import it.
    In a fresh interpreter, since any earlier test of this process may have imported it already."""
    script = (
        "import asyncio, json, sys\n"
        "from ccc_mcp.api.credentials import resolve_credentials\n"
        f"provider = resolve_credentials({env!r})\n"
        "if provider.source == 'environment':\n"
        "    asyncio.run(provider.get_key())\n"
        "print(json.dumps([provider.source, sorted(m for m in sys.modules if m.startswith('alibabacloud_credentials'))]))\n"
    )
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60,
                         env={**os.environ, "ALIBABA_CLOUD_ECS_METADATA_DISABLED": "true"})
    assert out.returncode == 0, out.stderr
    source, imported = json.loads(out.stdout)
    assert source == ("environment" if env else "default-chain")
    assert imported == [], "resolving credentials imported the official library"


async def test_chain_with_nothing_configured_says_what_to_set(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setenv("ALIBABA_CLOUD_ECS_METADATA_DISABLED", "true")
    with pytest.raises(CredentialsMissingError, match="ALIBABA_CLOUD_ACCESS_KEY_ID"):
        await DefaultChainCredentials().get_key()


def test_chain_reads_a_credentials_file(tmp_path: Path) -> None:
    """The official library reads its environment at import time, so this runs in a fresh interpreter."""
    ini = tmp_path / "credentials.ini"
    ini.write_text("[default]\ntype = access_key\naccess_key_id = file-id\naccess_key_secret = file-secret\n")
    env = {
        **os.environ,
        "HOME": str(tmp_path),
        "ALIBABA_CLOUD_CREDENTIALS_FILE": str(ini),
        "ALIBABA_CLOUD_ECS_METADATA_DISABLED": "true",
    }
    script = (
        "import asyncio, logging\n"
        "from ccc_mcp.api.credentials import DefaultChainCredentials\n"
        "logging.basicConfig(level=logging.INFO)\n"
        "chain = DefaultChainCredentials()\n"
        "key = asyncio.run(chain.get_key())\n"
        "asyncio.run(chain.get_key())\n"
        "print(key.access_key_id, repr(key))\n"
    )
    out = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stdout.startswith("file-id ")
    assert "file-secret" not in out.stdout + out.stderr
    # Which source of the chain answered is logged once (docs/troubleshooting.md tells operators to look).
    provider_lines = [line for line in out.stderr.splitlines() if "Credentials: the default chain's" in line]
    assert len(provider_lines) == 1, out.stderr
    assert "profile" in provider_lines[0]
    assert "file-id" not in provider_lines[0]
