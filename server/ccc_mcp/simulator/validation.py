"""Reading hand-written JSON files, and turning their errors into one readable sentence.

Scenario and fault files are written by hand; their errors must say *where* (`instances[0].agents[2]
.state`) and *what*, in one paragraph, never as a traceback.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from pydantic import ValidationError

__all__ = ["describe_validation_error", "read_json_file"]


def read_json_file(path: str | Path, source: str, error: type[ValueError]) -> Any:
    """The decoded JSON of `path`; an unreadable file or bad JSON raises `error`, naming `source`."""
    try:
        return json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        raise error(f"{source} cannot be read: {exc}.") from None
    except json.JSONDecodeError as exc:
        raise error(f"{source} is not valid JSON: {exc.msg} at line {exc.lineno}, column {exc.colno}.") from None


def json_path(loc: Sequence[int | str]) -> str:
    """('instances', 0, 'agents', 1, 'state') -> 'instances[0].agents[1].state'."""
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else str(part)
    return out


def describe_validation_error(exc: ValidationError, limit: int = 5) -> str:
    """`path: problem (got value)` for the first `limit` errors, joined with `; `."""
    errors = exc.errors()
    parts: list[str] = []
    for err in errors[:limit]:
        message = str(err["msg"]).removeprefix("Value error, ")
        where = json_path(err["loc"])
        got = err.get("input")
        shown = "" if isinstance(got, dict | list) or got is None else f" (got {json.dumps(got)[:60]})"
        parts.append(f"{where}: {message}{shown}" if where else message)
    more = len(errors) - len(parts)
    return "; ".join(parts) + (f"; and {more} more" if more > 0 else "")
