"""The simulated gateway's authentication: ACS3-HMAC-SHA256 verification, date window, nonce replay, STS.

Verification recomputes the signature with `ccc_mcp.api.signing` — the very functions the client signs
with — over the headers the request lists in `SignedHeaders` (with the values it carried) and the query
it actually sent. The official SDK signs `accept`, `user-agent` and more; listing is what counts.

Checks, in order (the first failure decides the answer, always a gateway-style error):
1. `Authorization` present and well formed; `SignedHeaders` includes `host` and every `x-acs-*` header
   the request carries, and every listed header is present          -> IncompleteSignature (400)
2. the AccessKeyId is known                                          -> InvalidAccessKeyId.NotFound (404)
   and not disabled                                                  -> Forbidden.AccessKeyDisabled (403)
3. `x-acs-content-sha256` (if sent) is the body's hash, and the signature matches
                                                                     -> SignatureDoesNotMatch (400)
4. `x-acs-date` parses and is within 15 minutes of the clock         -> InvalidTimeStamp.Expired (400)
5. STS: a credential with a token needs `x-acs-security-token`       -> MissingSecurityToken (400)
   equal to it                                                       -> InvalidSecurityToken.Expired (400);
   a token sent with a long-term key, or `x-acs-accesskey-id` naming another key
                                                                     -> InvalidSecurityToken.MismatchWithAccessKey
6. the nonce was not seen in the last 15 minutes                     -> SignatureNonceUsed (400)
Only a request that passes 1-5 has its nonce remembered, so unauthenticated traffic cannot fill the memory.
"""

from __future__ import annotations

import hashlib
import hmac
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from ccc_mcp.api.signing import (
    canonical_request,
    parse_authorization,
    parse_date,
    signature,
    signatures_match,
)
from ccc_mcp.simulator.centre import Credential
from ccc_mcp.simulator.state import SimulatorState
from ccc_mcp.simulator.wire_errors import GatewayError

__all__ = ["NonceMemory", "SignedRequest", "Verifier"]

WINDOW_SECONDS = 15 * 60
NONCE_CAPACITY = 50_000  # ~6 MB at most; far more than any test or demo signs in 15 minutes


class NonceMemory:
    """Nonces seen within the window. Bounded twice: entries expire by time, and past `capacity` the
    oldest are forgotten first (a flood can only shorten memory, never grow it). Each nonce is kept as
    a 64-bit digest (~120 bytes an entry), so a long run stays small."""

    def __init__(
        self,
        window_seconds: float = WINDOW_SECONDS,
        capacity: int = NONCE_CAPACITY,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._window = window_seconds
        self._capacity = capacity
        self._clock = clock
        self._seen: OrderedDict[int, float] = OrderedDict()
        self._lock = threading.Lock()

    def check_and_remember(self, nonce: str) -> bool:
        """True if `nonce` is fresh (and now remembered); False if it was seen within the window."""
        now = self._clock()
        key = int.from_bytes(hashlib.blake2b(nonce.encode(), digest_size=8).digest(), "big")
        with self._lock:
            while self._seen:
                oldest, expires = next(iter(self._seen.items()))
                if expires > now:
                    break
                del self._seen[oldest]
            if key in self._seen:
                return False
            self._seen[key] = now + self._window
            while len(self._seen) > self._capacity:
                self._seen.popitem(last=False)
            return True

    def clear(self) -> None:
        with self._lock:
            self._seen.clear()

    def __len__(self) -> int:
        return len(self._seen)


@dataclass(frozen=True, slots=True)
class SignedRequest:
    """What verification needs of an HTTP request. Header names are lower case."""

    method: str
    path: str
    query: Mapping[str, str]
    headers: Mapping[str, str]
    body: bytes = b""


class Verifier:
    """Authenticates requests against the credentials of a live state."""

    def __init__(
        self,
        state: SimulatorState,
        *,
        window_seconds: float = WINDOW_SECONDS,
        nonces: NonceMemory | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._state = state
        self._window = window_seconds
        self._clock = clock
        self.nonces = nonces if nonces is not None else NonceMemory(window_seconds)

    def verify(self, request: SignedRequest) -> Credential:
        """The credential that signed `request`, or GatewayError saying why it is refused."""
        headers = request.headers
        parsed = parse_authorization(headers.get("authorization", ""))
        if parsed is None:
            raise GatewayError("IncompleteSignature")
        names = tuple(name.lower() for name in parsed.signed_header_names)
        self._check_signed_headers(names, headers)
        credential = self._state.credential(parsed.access_key_id)
        if credential is None:
            raise GatewayError("InvalidAccessKeyId.NotFound")
        if credential.disabled:
            raise GatewayError("Forbidden.AccessKeyDisabled")
        body_sha256 = hashlib.sha256(request.body).hexdigest()
        if headers.get("x-acs-content-sha256", body_sha256).lower() != body_sha256:
            raise GatewayError("SignatureDoesNotMatch")
        canonical = canonical_request(
            request.method, request.path, request.query, {n: headers[n] for n in names}, body_sha256
        )
        if not signatures_match(signature(credential.access_key_secret, canonical), parsed.signature):
            raise GatewayError("SignatureDoesNotMatch")
        self._check_date(headers["x-acs-date"])
        self._check_token(credential, headers)
        if not self.nonces.check_and_remember(f"{credential.access_key_id}\n{headers['x-acs-signature-nonce']}"):
            raise GatewayError("SignatureNonceUsed")
        return credential

    @staticmethod
    def _check_signed_headers(names: tuple[str, ...], headers: Mapping[str, str]) -> None:
        listed = set(names)
        required = {"host", "x-acs-date", "x-acs-signature-nonce"}
        required.update(name for name in headers if name.startswith("x-acs-"))
        if not required <= listed or any(name not in headers for name in listed):
            raise GatewayError("IncompleteSignature")

    def _check_date(self, value: str) -> None:
        moment = parse_date(value)
        if moment is None or abs(moment.timestamp() - self._clock()) > self._window:
            raise GatewayError("InvalidTimeStamp.Expired")

    @staticmethod
    def _check_token(credential: Credential, headers: Mapping[str, str]) -> None:
        presented = headers.get("x-acs-security-token")
        claimed_key = headers.get("x-acs-accesskey-id")
        if claimed_key is not None and claimed_key != credential.access_key_id:
            raise GatewayError("InvalidSecurityToken.MismatchWithAccessKey")
        if credential.security_token is None:
            if presented is not None:
                raise GatewayError("InvalidSecurityToken.MismatchWithAccessKey")
            return
        if presented is None:
            raise GatewayError("MissingSecurityToken")
        if not hmac.compare_digest(presented.encode(), credential.security_token.encode()):
            raise GatewayError("InvalidSecurityToken.Expired")
