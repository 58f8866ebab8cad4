"""Decoding a JSON object from bytes off the wire, for the CCC client (answers its one-pass read refused) and
the HTTP transport (requests): anything that is not a JSON object — not JSON, nested too deep, a list — is
simply None."""

from __future__ import annotations

import json
from typing import Any

__all__ = ["json_object"]


def json_object(body: bytes) -> dict[str, Any] | None:
    """`body` decoded as a JSON object; None for anything else (not JSON, too deeply nested, not an object)."""
    try:
        decoded = json.loads(body)
    except (ValueError, RecursionError):
        return None
    return decoded if isinstance(decoded, dict) else None
