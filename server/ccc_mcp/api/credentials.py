"""Where signing keys come from.

Fast path: an explicit key (the simulator's demo key, tests) or `ALIBABA_CLOUD_ACCESS_KEY_ID` /
`ALIBABA_CLOUD_ACCESS_KEY_SECRET` (+ optional `ALIBABA_CLOUD_SECURITY_TOKEN`) in the environment, read
once. Otherwise the official default chain of `alibabacloud-credentials` (OIDC/RRSA, CLI profile,
credentials file, ECS RAM role, credentials URI), which refreshes temporary credentials itself. That
library costs ~250 ms to import and reads its environment at import time, so it is imported only
when first needed, never on the start-up path.
"""

from __future__ import annotations

import asyncio
import logging
import os
from collections.abc import Mapping
from typing import Any, Protocol

from ccc_mcp.api.signing import SigningKey

__all__ = [
    "ENV_ACCESS_KEY_ID",
    "ENV_ACCESS_KEY_SECRET",
    "ENV_SECURITY_TOKEN",
    "CredentialsMissingError",
    "CredentialsProvider",
    "DefaultChainCredentials",
    "StaticCredentials",
    "describe_source",
    "key_from_environment",
    "resolve_credentials",
]

ENV_ACCESS_KEY_ID = "ALIBABA_CLOUD_ACCESS_KEY_ID"
ENV_ACCESS_KEY_SECRET = "ALIBABA_CLOUD_ACCESS_KEY_SECRET"  # noqa: S105 - a variable name, not a secret
ENV_SECURITY_TOKEN = "ALIBABA_CLOUD_SECURITY_TOKEN"  # noqa: S105

log = logging.getLogger(__name__)


class CredentialsMissingError(Exception):
    """No source of the chain produced credentials. The message says what to set, never a value."""


class CredentialsProvider(Protocol):
    """Anything that can hand out a current signing key."""

    source: str

    async def get_key(self) -> SigningKey: ...


class StaticCredentials:
    """A fixed key: from the environment, the simulator, or a test."""

    def __init__(self, key: SigningKey, source: str = "static") -> None:
        self._key = key
        self.source = source

    async def get_key(self) -> SigningKey:
        return self._key

    def __repr__(self) -> str:
        return f"StaticCredentials(source={self.source!r}, key={self._key!r})"


class DefaultChainCredentials:
    """The official default credential chain, imported and built on first use."""

    source = "default-chain"

    def __init__(self) -> None:
        self._client: Any = None
        self._lock = asyncio.Lock()
        self._provider: str | None = None

    async def _chain(self) -> Any:
        async with self._lock:
            if self._client is None:
                try:
                    from alibabacloud_credentials.client import Client
                except ImportError as exc:  # pragma: no cover - it is a runtime dependency
                    raise CredentialsMissingError("alibabacloud-credentials is not installed") from exc
                self._client = Client()
            return self._client

    async def get_key(self) -> SigningKey:
        try:
            chain = await self._chain()
            credential = await chain.get_credential_async()
        except CredentialsMissingError:
            raise
        except Exception as exc:
            # The library's messages name sources, not secrets; still, keep only the type here.
            raise CredentialsMissingError(
                f"No credentials found in the default chain ({type(exc).__name__}). Set "
                f"{ENV_ACCESS_KEY_ID} and {ENV_ACCESS_KEY_SECRET}, or configure another source of the "
                "Alibaba Cloud default credential chain."
            ) from None
        key_id = getattr(credential, "access_key_id", None)
        secret = getattr(credential, "access_key_secret", None)
        if not key_id or not secret:
            raise CredentialsMissingError(
                f"The default credential chain returned no AccessKey. Set {ENV_ACCESS_KEY_ID} and "
                f"{ENV_ACCESS_KEY_SECRET}."
            )
        self._log_provider(str(getattr(credential, "provider_name", None) or "unknown"))
        return SigningKey(key_id, secret, getattr(credential, "security_token", None) or None)

    def _log_provider(self, provider: str) -> None:
        """Say once (and again on a change) which source of the chain answered, e.g. "default/cli_profile";
        the library's provider names carry no secret."""
        if provider != self._provider:
            self._provider = provider
            log.info("Credentials: the default chain's %s provider", provider)


def key_from_environment(environ: Mapping[str, str]) -> SigningKey | None:
    """The fast path: both of id and secret set and non-blank, or nothing."""
    key_id = environ.get(ENV_ACCESS_KEY_ID, "").strip()
    secret = environ.get(ENV_ACCESS_KEY_SECRET, "").strip()
    if not key_id or not secret:
        return None
    token = environ.get(ENV_SECURITY_TOKEN, "").strip() or None
    return SigningKey(key_id, secret, token)


def resolve_credentials(environ: Mapping[str, str] | None = None) -> CredentialsProvider:
    """Static environment credentials when present, otherwise the official chain (resolved lazily)."""
    key = key_from_environment(os.environ if environ is None else environ)
    if key is not None:
        return StaticCredentials(key, source="environment")
    return DefaultChainCredentials()


def describe_source(provider: CredentialsProvider) -> str:
    """Where a provider's keys come from, for a log line: never a key, a secret or a token."""
    if provider.source == "environment":
        return f"environment ({ENV_ACCESS_KEY_ID} and {ENV_ACCESS_KEY_SECRET})"
    if provider.source == "default-chain":
        return "the Alibaba Cloud default chain (resolved on the first call, which logs the provider used)"
    if provider.source == "simulator":
        return "the embedded simulator's demo AccessKey"
    return provider.source
